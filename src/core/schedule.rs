//! When to poll: intervals that stay inside each provider's rate limit, exponential backoff with
//! jitter after failures, and the service's own Retry-After. Pure functions of time.

use super::error::{PresenceError, Retry};
use super::model::ProviderKind;

/// How often a source polls, and how it backs off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Milliseconds between successful polls.
    pub interval_ms: u64,
    /// The first backoff after a failure.
    pub min_backoff_ms: u64,
    /// The longest backoff.
    pub max_backoff_ms: u64,
    /// A presence older than this without a successful poll is shown as stale.
    pub stale_after_ms: u64,
}

impl Policy {
    /// The defaults for a provider, inside its documented limits:
    ///
    /// | provider | interval | why |
    /// | --- | --- | --- |
    /// | Graph | 30 s | 1,500 requests per 30 s per app per tenant, shared by every user of the app |
    /// | Rocket.Chat | 15 s | 10 calls per endpoint per minute per user: 4 a minute leaves room for other tabs |
    /// | Genesys | 30 s | 300 requests per minute per client |
    /// | SuperOffice | 60 s | one request per associate and no documented limit: stay gentle |
    pub fn for_provider(kind: ProviderKind) -> Self {
        let interval_ms = match kind {
            ProviderKind::Graph | ProviderKind::Genesys => 30_000,
            ProviderKind::RocketChat => 15_000,
            ProviderKind::SuperOffice => 60_000,
        };
        Self {
            interval_ms,
            min_backoff_ms: 2_000,
            max_backoff_ms: 5 * 60_000,
            stale_after_ms: interval_ms * 3,
        }
    }

    /// The shortest interval a page may ask for: Rocket.Chat's limit of 10 calls a minute per
    /// endpoint makes 6 s its floor; the others take 1 s.
    pub fn floor_ms(kind: ProviderKind) -> u64 {
        match kind {
            ProviderKind::RocketChat => 6_000,
            _ => 1_000,
        }
    }

    /// The same policy polling every `interval_ms`, raised to the provider's floor. Returns the
    /// policy and whether the value had to be raised.
    ///
    /// ```
    /// use presence_widgets::core::{schedule::Policy, ProviderKind};
    /// let (p, raised) = Policy::for_provider(ProviderKind::RocketChat).with_interval(ProviderKind::RocketChat, 1000);
    /// assert_eq!((p.interval_ms, raised), (6000, true));
    /// ```
    pub fn with_interval(mut self, kind: ProviderKind, interval_ms: u64) -> (Self, bool) {
        let floor = Self::floor_ms(kind);
        let raised = interval_ms < floor;
        self.interval_ms = interval_ms.max(floor);
        self.stale_after_ms = self.interval_ms * 3;
        (self, raised)
    }
}

/// The backoff after `failures` failures in a row (1 for the first): doubling from the minimum,
/// capped, with "equal jitter": half the step is fixed and the other half is scaled by
/// `random % 1001` thousandths, so that many pages failing together do not retry together.
///
/// ```
/// use presence_widgets::core::{schedule::{backoff_ms, Policy}, ProviderKind};
/// let p = Policy::for_provider(ProviderKind::Graph);
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
/// use presence_widgets::core::{schedule::{next_delay_ms, Outcome, Policy}, PresenceError, ProviderKind, Retry};
/// let p = Policy::for_provider(ProviderKind::Graph);
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

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = Policy::for_provider(ProviderKind::Genesys);
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
        let p = Policy::for_provider(ProviderKind::RocketChat);
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
    }

    #[test]
    fn defaults_stay_inside_the_documented_limits() {
        // Rocket.Chat: 10 calls per endpoint per minute.
        assert!(60_000 / Policy::for_provider(ProviderKind::RocketChat).interval_ms <= 10);
        // Graph: two 650-id batches per poll for 1,000 people stay far below 1,500 per 30 s.
        assert!(Policy::for_provider(ProviderKind::Graph).interval_ms >= 1_000);
        let (p, raised) =
            Policy::for_provider(ProviderKind::Graph).with_interval(ProviderKind::Graph, 5_000);
        assert_eq!(
            (p.interval_ms, p.stale_after_ms, raised),
            (5_000, 15_000, false)
        );
    }
}
