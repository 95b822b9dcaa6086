//! A small `multipart/form-data` reader for the TrueConf file upload (whole body in memory,
//! as the simulator keeps files in memory anyway). Malformed input yields `None`, never a panic.

/// One part of a multipart body.
pub(crate) struct Part {
    /// `name` of its `Content-Disposition`.
    pub name: Option<String>,
    /// `filename` of its `Content-Disposition`.
    pub filename: Option<String>,
    /// Its `Content-Type` header.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The parts of `body`, or `None` when it is not a well-formed multipart body.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delim = format!("--{boundary}").into_bytes();
    let next_delim = format!("\r\n--{boundary}").into_bytes();
    let mut pos = find(body, &delim, 0)? + delim.len();
    let mut parts = Vec::new();
    loop {
        if body.get(pos..pos + 2)? == b"--" {
            return Some(parts);
        }
        if body.get(pos..pos + 2)? != b"\r\n" {
            return None;
        }
        pos += 2;
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = std::str::from_utf8(body.get(pos..head_end)?).ok()?;
        let data_start = head_end + 4;
        let data_end = find(body, &next_delim, data_start)?;
        let mut part = Part {
            name: None,
            filename: None,
            content_type: None,
            data: body.get(data_start..data_end)?.to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim();
            if key.eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_string());
            } else if key.eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').skip(1) {
                    let Some((k, v)) = param.split_once('=') else {
                        continue;
                    };
                    let v = v.trim().trim_matches('"').to_string();
                    match k.trim() {
                        "name" => part.name = Some(v),
                        "filename" => part.filename = Some(v),
                        _ => {}
                    }
                }
            }
        }
        parts.push(part);
        pos = data_end + next_delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parts_and_rejects_garbage() {
        let body = b"--XY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XY\r\nContent-Disposition: form-data; name=\"preview\"\r\n\r\n\r\n--XY--\r\n";
        let parts = parse(body, "XY").expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name.as_deref(), Some("file"));
        assert_eq!(parts[0].filename.as_deref(), Some("a.txt"));
        assert_eq!(parts[0].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[0].data, b"hello");
        assert!(parts[1].data.is_empty());
        assert!(parse(b"--XY\r\nno end", "XY").is_none());
        assert!(parse(b"", "XY").is_none());
        assert_eq!(
            boundary("multipart/form-data; boundary=\"b1\"").as_deref(),
            Some("b1")
        );
        assert_eq!(boundary("application/json"), None);
    }
}
