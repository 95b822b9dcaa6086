//! Nextcloud Talk chat over HTTPS (OCS REST API).
