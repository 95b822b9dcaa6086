//! Static files from [`crate::SimConfig::static_dir`], so a web page (the wasm demo) is served
//! from the simulator's own origin and can use Talk's strict-CORS endpoints and cookie logins.
//!
//! `GET`/`HEAD` of a path no protocol route claims reads `DIR/<path>` (`DIR/<path>/index.html`
//! for a directory). A path with a `..`, `.` or empty-after-decoding component, or one that
//! does not exist, answers 404; other methods answer 405. The content type comes from the file
//! extension (`.wasm` is `application/wasm`, which `WebAssembly.instantiateStreaming` requires).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::Sim;

/// Largest file served (the simulator is a test server, not a CDN).
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// The fallback handler: a file from the static directory, or 404/405.
pub(crate) async fn serve(AxState(sim): AxState<Arc<Sim>>, req: Request) -> Response {
    let Some(root) = sim.config.static_dir.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Some(mut path) = resolve(&root, req.uri().path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
        path.push("index.html");
    }
    let meta = match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() && m.len() <= MAX_FILE => m,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let body = if head {
        Body::empty()
    } else {
        match tokio::fs::read(&path).await {
            Ok(bytes) => Body::from(bytes),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        }
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.len()));
    // A demo page under development must not be served stale.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `root` joined with the percent-decoded request path, or `None` when a component would leave
/// `root` (or is not plain UTF-8 after decoding).
fn resolve(root: &Path, uri_path: &str) -> Option<PathBuf> {
    let mut out = root.to_path_buf();
    for segment in uri_path.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode(segment)?;
        if decoded.contains('/') || decoded.contains('\\') || decoded.contains('\0') {
            return None;
        }
        let mut comps = Path::new(&decoded).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs" | "cjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("ico") => "image/x-icon",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_root() {
        let root = Path::new("/srv/www");
        assert_eq!(
            resolve(root, "/a/b.js"),
            Some(PathBuf::from("/srv/www/a/b.js"))
        );
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/srv/www")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/%2e%2e/%2e%2e/x"), None);
        assert_eq!(resolve(root, "/a%2fb"), None);
        assert_eq!(resolve(root, "/%zz"), None);
        assert_eq!(content_type(Path::new("x.WASM")), "application/wasm");
    }
}
