//! `__http_get(url, hdrs)` and `__http_post(url, hdrs, body)` with `ureq`
//! (blocking; rustls for https, with the Mozilla roots of `webpki-roots`
//! built in, so executables need no certificate files or TLS library).
//!
//! Redirects are followed (at most 10). The whole exchange, redirects and
//! the response body included, must finish within `ILUSM_HTTP_TIMEOUT_MS`
//! milliseconds (default 30000). Proxies come from the usual `http_proxy` /
//! `https_proxy` / `NO_PROXY` variables. Any status code is a result
//! (`{cod: 404, ...}`); failing to get a response at all is a runtime error
//! naming the URL.

use std::time::Duration;

use super::{content_arg, expects, make_object, os_message, str_arg};
use crate::builtins::id;
use crate::error::{RtError, RtResult};
use crate::gc;
use crate::heap;
use crate::print;
use crate::value::Value;

/// The timeout when `ILUSM_HTTP_TIMEOUT_MS` is not set.
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// The request timeout in milliseconds, from `ILUSM_HTTP_TIMEOUT_MS`.
fn timeout_ms() -> RtResult<u64> {
    match std::env::var("ILUSM_HTTP_TIMEOUT_MS") {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_TIMEOUT_MS),
        Ok(text) if text.trim().parse::<u64>().is_ok_and(|n| n > 0) => {
            Ok(text.trim().parse::<u64>().unwrap_or(DEFAULT_TIMEOUT_MS))
        }
        Ok(text) => Err(RtError::new(format!(
            "ILUSM_HTTP_TIMEOUT_MS must be a positive integer (milliseconds), got '{text}'"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => Err(RtError::new(
            "ILUSM_HTTP_TIMEOUT_MS must be a positive integer (milliseconds)",
        )),
    }
}

/// The request headers: the keys and values (converted with `str`) of an
/// object, or none for nil.
fn headers(fn_id: u16, hdrs: Value) -> RtResult<Vec<(String, String)>> {
    if hdrs.is_nil() {
        return Ok(Vec::new());
    }
    let obj = heap::object(hdrs).ok_or_else(|| expects(fn_id, "an obj of headers", hdrs))?;
    Ok(obj
        .entries()
        .into_iter()
        .map(|(k, v)| {
            let name = heap::str_of(k).unwrap_or("").to_string();
            (name, print::to_string(v))
        })
        .collect())
}

/// `__http_get` (`body` None) or `__http_post`: `{cod, txt, hdr}`. `txt`
/// is the body with bytes that are not UTF-8 replaced by U+FFFD; `hdr` has
/// the response's header names in lowercase, in the order the response
/// first gives them, a repeated header's values joined with `", "`.
pub(super) fn request(fn_id: u16, url: Value, hdrs: Value, body: Option<Value>) -> RtResult<Value> {
    let url = str_arg(fn_id, url)?.to_string();
    let headers = headers(fn_id, hdrs)?;
    let body = body.map(|b| content_arg(fn_id, b)).transpose()?;
    let timeout = timeout_ms()?;
    let method = if fn_id == id::HTTP_POST {
        "POST"
    } else {
        "GET"
    };
    let failed =
        |e: ureq::Error| RtError::new(format!("cannot {method} '{url}': {}", reason(&e, timeout)));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(timeout)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = match body {
        None => {
            let mut req = agent.get(&url);
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            req.call()
        }
        Some(bytes) => {
            let mut req = agent.post(&url);
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            req.send(&bytes[..])
        }
    }
    .map_err(failed)?;

    let code = response.status().as_u16();
    let mut fields: Vec<(String, String)> = Vec::new();
    for (k, v) in response.headers() {
        let value = String::from_utf8_lossy(v.as_bytes());
        match fields.iter_mut().find(|(name, _)| name == k.as_str()) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => fields.push((k.as_str().to_string(), value.into_owned())),
        }
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(failed)?;

    let txt = heap::alloc_string(String::from_utf8_lossy(&bytes).into_owned());
    let roots = gc::TempRoots::new(&[txt]);
    let hdr = heap::alloc_object(fields.len());
    roots.push(hdr);
    let obj = heap::object(hdr).expect("a new object");
    for (k, v) in fields {
        let value = heap::alloc_string(v);
        roots.push(value);
        obj.set_str(&k, value);
    }
    make_object(&[
        ("cod", Value::from_f64(code as f64)),
        ("txt", txt),
        ("hdr", hdr),
    ])
}

/// Why a request failed, in words that do not vary between machines (no
/// OS error numbers).
fn reason(e: &ureq::Error, timeout_ms: u64) -> String {
    match e {
        ureq::Error::Io(io) => os_message(io),
        ureq::Error::Timeout(_) => format!("timed out after {timeout_ms} ms"),
        other => other.to_string(),
    }
}
