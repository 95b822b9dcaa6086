//! Credentials a user writes into a server URL never reach a message.
use chatwire_native::redact_url;

#[test]
fn user_and_password_in_a_url_are_redacted() {
    assert_eq!(
        redact_url("https://bob:s3cret@tc.example.com/bridge/api/client/v1/oauth/token"),
        "https://<redacted>@tc.example.com/bridge/api/client/v1/oauth/token"
    );
    assert_eq!(
        redact_url("https://tc.example.com/x?a=@b"),
        "https://tc.example.com/x?a=@b"
    );
    assert_eq!(redact_url("not a url"), "not a url");
    // A password with an unencoded `/` is still hidden whole.
    assert_eq!(
        redact_url("https://bob:pa/ss@tc.example.com/x"),
        "https://<redacted>@tc.example.com/x"
    );
    assert_eq!(
        redact_url("https://bob:pa/ss@tc.example.com"),
        "https://<redacted>@tc.example.com"
    );
}
