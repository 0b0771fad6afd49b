//! When to poll: intervals that stay inside each provider's rate limit, exponential backoff with
//! jitter after failures, and the service's own Retry-After. Pure functions of time.

use super::error::{PresenceError, Retry};

/// How often a provider may be polled: each adapter says (see `Provider::cadence`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// The default milliseconds between polls, inside the provider's documented rate limit.
    pub interval_ms: u64,
    /// The shortest interval a page may ask for.
    pub floor_ms: u64,
}

/// How often a source polls, and how it backs off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Milliseconds between successful polls.
    pub interval_ms: u64,
    /// The shortest interval a page may ask for.
    pub floor_ms: u64,
    /// The first backoff after a failure.
    pub min_backoff_ms: u64,
    /// The longest backoff.
    pub max_backoff_ms: u64,
    /// A presence whose last confirmation is older than this is shown as stale (three
    /// intervals); a failed poll before then shows its reason in the tooltip only.
    pub stale_after_ms: u64,
}

impl Policy {
    /// The policy of a provider's cadence: its interval, backoff from 2 s to 5 min, stale after
    /// three intervals.
    ///
    /// ```
    /// use presence_widgets::core::schedule::{Cadence, Policy};
    /// let p = Policy::new(Cadence { interval_ms: 30_000, floor_ms: 1_000 });
    /// assert_eq!((p.interval_ms, p.stale_after_ms), (30_000, 90_000));
    /// ```
    pub fn new(cadence: Cadence) -> Self {
        Self {
            interval_ms: cadence.interval_ms,
            floor_ms: cadence.floor_ms,
            min_backoff_ms: 2_000,
            max_backoff_ms: 5 * 60_000,
            stale_after_ms: cadence.interval_ms.saturating_mul(3),
        }
    }

    /// The same policy polling every `interval_ms`, raised to the provider's floor. Returns the
    /// policy and whether the value had to be raised.
    ///
    /// ```
    /// use presence_widgets::core::schedule::{Cadence, Policy};
    /// let rocketchat = Policy::new(Cadence { interval_ms: 15_000, floor_ms: 6_000 });
    /// let (p, raised) = rocketchat.with_interval(1000);
    /// assert_eq!((p.interval_ms, raised), (6000, true));
    /// ```
    pub fn with_interval(mut self, interval_ms: u64) -> (Self, bool) {
        let raised = interval_ms < self.floor_ms;
        self.interval_ms = interval_ms.max(self.floor_ms);
        self.stale_after_ms = self.interval_ms.saturating_mul(3);
        (self, raised)
    }
}

/// The backoff after `failures` failures in a row (1 for the first): doubling from the minimum,
/// capped, with "equal jitter": half the step is fixed and the other half is scaled by
/// `random % 1001` thousandths, so that many pages failing together do not retry together.
///
/// ```
/// use presence_widgets::core::schedule::{backoff_ms, Cadence, Policy};
/// let p = Policy::new(Cadence { interval_ms: 30_000, floor_ms: 1_000 });
/// assert_eq!(backoff_ms(&p, 1, 0), 1_000);
/// assert_eq!(backoff_ms(&p, 1, 1000), 2_000);
/// assert_eq!(backoff_ms(&p, 3, 1000), 8_000);
/// assert_eq!(backoff_ms(&p, 40, 1000), 300_000);
/// ```
pub fn backoff_ms(policy: &Policy, failures: u32, random: u64) -> u64 {
    let exponent = failures.saturating_sub(1).min(32);
    let step = policy
        .min_backoff_ms
        .saturating_mul(1u64 << exponent)
        .min(policy.max_backoff_ms);
    let half = step / 2;
    half + half * (random % 1001) / 1000
}

/// The one source of jitter for a reader or a link (xorshift64: spreads retries, not security).
#[derive(Clone, Copy, Debug)]
pub struct Jitter(u64);

impl Jitter {
    /// Jitter from `seed` (any value; the time will do).
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// The next pseudo-random value.
    pub fn draw(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// What happened in a poll, for deciding the next one.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every request answered.
    Success,
    /// At least one request failed with this error.
    Failure(PresenceError),
}

/// Milliseconds until the next poll: the interval after a success; after a failure, the backoff
/// or, when the service said when, at least that.
///
/// ```
/// use presence_widgets::core::{schedule::{next_delay_ms, Cadence, Outcome, Policy}, PresenceError, ProviderKind, Retry};
/// let p = Policy::new(Cadence { interval_ms: 30_000, floor_ms: 1_000 });
/// assert_eq!(next_delay_ms(&p, &Outcome::Success, 0, 0, 500), 30_000);
/// let limited = PresenceError::Http { provider: ProviderKind::Graph, status: 429, code: None, message: None, retry: Some(Retry::After(45_000)) };
/// assert_eq!(next_delay_ms(&p, &Outcome::Failure(limited), 1, 0, 500), 45_000);
/// ```
pub fn next_delay_ms(
    policy: &Policy,
    outcome: &Outcome,
    failures: u32,
    now_ms: u64,
    random: u64,
) -> u64 {
    match outcome {
        Outcome::Success => policy.interval_ms,
        Outcome::Failure(error) => {
            let backoff = backoff_ms(policy, failures.max(1), random);
            let asked = error.retry().map_or(0, |r: Retry| r.delay_from(now_ms));
            // A service that asks for more than an hour is obeyed up to an hour, then asked again.
            backoff.max(asked.min(60 * 60_000))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ProviderKind;

    const GRAPH: Cadence = Cadence {
        interval_ms: 30_000,
        floor_ms: 1_000,
    };

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = Policy::new(GRAPH);
        let steps: Vec<u64> = (1..=10).map(|n| backoff_ms(&p, n, 1000)).collect();
        assert_eq!(
            steps,
            [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]
        );
        for n in 1..10 {
            assert!(backoff_ms(&p, n, 0) >= backoff_ms(&p, n, 1000) / 2);
            assert!(backoff_ms(&p, n, u64::MAX) <= backoff_ms(&p, n, 1000));
        }
        assert_eq!(backoff_ms(&p, 0, 500), 1_500);
        assert_eq!(backoff_ms(&p, u32::MAX, 0), 150_000);
    }

    #[test]
    fn retry_at_an_absolute_time_is_honoured() {
        let p = Policy::new(GRAPH);
        let e = PresenceError::Http {
            provider: ProviderKind::RocketChat,
            status: 429,
            code: None,
            message: None,
            retry: Some(Retry::At(1_000_000 + 42_000)),
        };
        assert_eq!(
            next_delay_ms(&p, &Outcome::Failure(e), 1, 1_000_000, 0),
            42_000
        );
        // A time far in the future is obeyed for an hour at most; the clock cannot overflow it.
        let far = PresenceError::Http {
            provider: ProviderKind::RocketChat,
            status: 429,
            code: None,
            message: None,
            retry: Some(Retry::At(u64::MAX)),
        };
        assert_eq!(
            next_delay_ms(&p, &Outcome::Failure(far), 1, 0, 0),
            3_600_000
        );
    }

    #[test]
    fn a_page_interval_is_raised_to_the_floor() {
        let (p, raised) = Policy::new(GRAPH).with_interval(5_000);
        assert_eq!(
            (p.interval_ms, p.stale_after_ms, raised),
            (5_000, 15_000, false)
        );
        let (p, raised) = Policy::new(GRAPH).with_interval(0);
        assert_eq!((p.interval_ms, raised), (1_000, true));
        let (p, _) = Policy::new(GRAPH).with_interval(u64::MAX);
        assert_eq!(p.stale_after_ms, u64::MAX);
    }
}
