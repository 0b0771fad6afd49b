//! Normalizes a provider's answer read from standard input and prints the presences as JSON.
//!
//! ```text
//! cargo run -q --example normalize -- <provider> <endpoint> [--ids a,b,c] [--status N]
//!     [--header 'Name: value']... [--language fr] < body.json
//! ```
//!
//! | provider | endpoints |
//! | --- | --- |
//! | graph | `getPresencesByUserId`, `presence` |
//! | rocketchat | `users.presence` (add `--from ISO` for a delta answer), `users.getPresence`, `users.getStatus` |
//! | genesys | `presence`, `bulk`, `definitions`, `presencedefinitions`, `systempresences`, `sources`, `primarysource` |
//! | superoffice | `GetUserPresenceStatus` |
//!
//! `--ids` names the people the request asked for (needed where the answer omits them: a
//! Rocket.Chat user absent from an `ids` answer is Offline; a Genesys or SuperOffice single answer
//! does not name its user). `--status` and `--header` describe the HTTP answer (default 200, no
//! headers), so error bodies can be read too. An answer it cannot read exits 1 with one line on
//! standard error naming the provider and what was wrong.

use std::io::{Read, Write};
use std::process::ExitCode;

use presence_widgets::core::{
    Cursor, Genesys, Graph, HttpRequest, HttpResponse, PresenceError, Provider, ProviderKind,
    RocketChat, SuperOffice, UserId,
};

const USAGE: &str = "usage: normalize <graph|rocketchat|genesys|superoffice> <endpoint> [--ids a,b,c] [--status N] [--header 'Name: value'] [--from ISO] [--language fr] < body.json";

/// What the command line asked for.
struct Args {
    provider: ProviderKind,
    endpoint: String,
    ids: Vec<UserId>,
    status: u16,
    headers: Vec<(String, String)>,
    from: Option<String>,
    language: Option<String>,
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut positional = Vec::new();
    let mut args = Args {
        provider: ProviderKind::Graph,
        endpoint: String::new(),
        ids: Vec::new(),
        status: 200,
        headers: Vec::new(),
        from: None,
        language: None,
    };
    while let Some(arg) = parser.next()? {
        match arg {
            Long("ids") => {
                args.ids = parser
                    .value()?
                    .string()?
                    .split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(UserId::from)
                    .collect();
            }
            Long("status") => {
                let v: u16 = parser.value()?.parse()?;
                if !(100..600).contains(&v) {
                    return Err(format!("--status must be an HTTP status, not `{v}`").into());
                }
                args.status = v;
            }
            Long("header") => {
                let v = parser.value()?.string()?;
                let (name, val) = v
                    .split_once(':')
                    .ok_or_else(|| format!("--header must be `Name: value`, not `{v}`"))?;
                args.headers
                    .push((name.trim().to_owned(), val.trim().to_owned()));
            }
            Long("from") => args.from = Some(parser.value()?.string()?),
            Long("language") => args.language = Some(parser.value()?.string()?),
            Value(v) if positional.len() < 2 => positional.push(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    let mut positional = positional.into_iter();
    let provider = positional.next().ok_or("missing the provider")?;
    args.provider = ProviderKind::from_name(&provider)
        .ok_or_else(|| format!("unknown provider `{provider}`"))?;
    args.endpoint = positional.next().ok_or("missing the endpoint")?;
    Ok(args)
}

/// What reads the answer: a provider's presences, or one of Genesys's listings.
enum Reader {
    Presences(Box<dyn Provider>),
    Catalog(Genesys),
}

/// The request the answer is the answer to, and the adapter that reads it.
fn request_for(args: &Args) -> Result<(Reader, HttpRequest), String> {
    let ids = &args.ids;
    let first = ids.first();
    let needs_id = |what: &str| {
        format!(
            "{} {}: --ids is needed, {what}",
            args.provider, args.endpoint
        )
    };
    let config = |e: PresenceError| e.to_string();
    // Plans need at least one id; where none was given the request is made for a placeholder
    // and then says it asked for nobody, so the answer alone decides.
    let placeholder = [UserId::new("0")];
    let plan_ids: &[UserId] = if ids.is_empty() { &placeholder } else { ids };
    let without_ids = |mut r: HttpRequest| {
        if ids.is_empty() {
            r.ids.clear();
        }
        r
    };
    let first_request = |adapter: &dyn Provider, cursor: Option<&Cursor>| {
        let plan = adapter.plan(plan_ids, cursor);
        if let Some((id, e)) = plan.rejected.first() {
            return Err(format!("`{id}`: {e}"));
        }
        let mut requests = plan.requests.into_iter();
        let mut first = requests.next().ok_or("no request to answer")?;
        // The answer is read as the answer to one request asking for every id given.
        first.ids = plan_ids.to_vec();
        Ok(without_ids(first))
    };
    let base = "https://service.invalid";
    let endpoint = args.endpoint.as_str();
    Ok(match (args.provider, endpoint) {
        (ProviderKind::Graph, "getPresencesByUserId") => {
            let g = Graph::new(base);
            let r = first_request(&g, None)?;
            (Reader::Presences(Box::new(g)), r)
        }
        (ProviderKind::Graph, "presence") => {
            let g = Graph::new(base);
            let r = without_ids(
                g.plan_user(first.unwrap_or(&placeholder[0]))
                    .map_err(config)?,
            );
            (Reader::Presences(Box::new(g)), r)
        }
        (ProviderKind::RocketChat, "users.presence") => {
            let rc = RocketChat::new(base);
            let cursor = args.from.as_deref().map(Cursor::new);
            let r = first_request(&rc, cursor.as_ref())?;
            (Reader::Presences(Box::new(rc)), r)
        }
        (ProviderKind::RocketChat, "users.getPresence" | "users.getStatus") => {
            let rc = RocketChat::new(base);
            let id = first.ok_or_else(|| needs_id("the answer does not name the user"))?;
            let r = if endpoint == "users.getPresence" {
                rc.plan_get_presence(id)
            } else {
                rc.plan_get_status(id)
            }
            .map_err(config)?;
            (Reader::Presences(Box::new(rc)), r)
        }
        (ProviderKind::Genesys, _) => {
            let mut g = Genesys::new(base);
            if let Some(language) = &args.language {
                g = g.with_language(language);
            }
            let user = || first.ok_or_else(|| needs_id("the answer does not name the user"));
            match endpoint {
                "bulk" => {
                    let r = first_request(&g, None)?;
                    (Reader::Presences(Box::new(g)), r)
                }
                "presence" => {
                    let r = g.plan_user(user()?).map_err(config)?;
                    (Reader::Presences(Box::new(g)), r)
                }
                listing => {
                    let r = match listing {
                        "definitions" => g.plan_definitions(),
                        "presencedefinitions" => g.plan_definitions_paged(1),
                        "systempresences" => g.plan_system_presences(),
                        "sources" => g.plan_sources(),
                        "primarysource" => g.plan_primary_source(user()?).map_err(config)?,
                        other => return Err(format!("genesys has no endpoint `{other}`")),
                    };
                    (Reader::Catalog(g), r)
                }
            }
        }
        (ProviderKind::SuperOffice, "GetUserPresenceStatus") => {
            let so = SuperOffice::new(base);
            let id = first.ok_or_else(|| needs_id("the answer does not name the associate"))?;
            let plan = so.plan(std::slice::from_ref(id), None);
            if let Some((_, e)) = plan.rejected.first() {
                return Err(e.to_string());
            }
            let r = plan
                .requests
                .into_iter()
                .next()
                .ok_or("no request to answer")?;
            (Reader::Presences(Box::new(so)), r)
        }
        (provider, other) => return Err(format!("{provider} has no endpoint `{other}`")),
    })
}

fn run() -> Result<String, (u8, String)> {
    let args = parse_args().map_err(|e| (2, format!("{e}\n{USAGE}")))?;
    let (adapter, request) = request_for(&args).map_err(|e| (2, e))?;
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| (1, format!("cannot read standard input: {e}")))?;
    let body = String::from_utf8(bytes).map_err(|e| {
        (
            1,
            format!(
                "{}: the answer is not UTF-8 text (byte {})",
                args.provider,
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let mut response = HttpResponse::new(args.status, body);
    response.headers = args.headers;
    let json = match adapter {
        Reader::Presences(adapter) => {
            let update = adapter
                .parse(&request, &response)
                .map_err(|e| (1, e.to_string()))?;
            for skipped in &update.skipped {
                let _ = writeln!(std::io::stderr().lock(), "normalize: {skipped}");
            }
            serde_json::to_string_pretty(&update.presences)
        }
        Reader::Catalog(genesys) => {
            let catalog = genesys
                .parse_catalog(&request, &response)
                .map_err(|e| (1, e.to_string()))?;
            serde_json::to_string_pretty(&catalog)
        }
    };
    json.map_err(|e| (1, format!("cannot write JSON: {e}")))
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            // A closed pipe is not worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{json}");
            ExitCode::SUCCESS
        }
        Err((code, message)) => {
            let _ = writeln!(std::io::stderr().lock(), "normalize: {message}");
            ExitCode::from(code)
        }
    }
}
