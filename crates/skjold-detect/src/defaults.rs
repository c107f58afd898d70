//! Known default credentials of OT and IoT devices and services (ETSI EN 303 645 provision
//! 5.1-1: no universal default passwords). Used by the protocol states to tell detection that a
//! login used a default pair; the password itself never leaves the state.
//!
//! Sources: vendors' manuals as collected in public default-password lists (e.g. the CIRT.net
//! and `SecLists` ICS lists); kept short on purpose: the pairs a plant engineer meets.

/// `(user, password)` pairs; an empty user matches a password-only login (Telnet/VNC).
pub const DEFAULTS: &[(&str, &str)] = &[
    ("admin", "admin"),
    ("admin", "password"),
    ("admin", "1234"),
    ("admin", "12345"),
    ("admin", ""),
    ("root", "root"),
    ("root", "toor"),
    ("root", ""),
    ("user", "user"),
    ("guest", "guest"),
    ("operator", "operator"),
    ("test", "test"),
    ("anonymous", ""),
    ("ftp", "ftp"),
    ("USER", "USER"),
    ("Administrator", "admin"),
    ("admin", "moxa"),
    ("admin", "private"),
    ("root", "admin"),
    ("pi", "raspberry"),
    ("ubnt", "ubnt"),
    ("cisco", "cisco"),
    ("service", "service"),
    ("default", "default"),
];

/// Whether `(user, password)` is a known default pair (user compared case-insensitively).
pub fn is_default(user: &str, password: &[u8]) -> bool {
    DEFAULTS
        .iter()
        .any(|(u, p)| u.eq_ignore_ascii_case(user) && p.as_bytes() == password)
}

#[cfg(test)]
mod tests {
    #[test]
    fn admin_admin_is_a_default_and_a_random_pair_is_not() {
        assert!(super::is_default("admin", b"admin"));
        assert!(super::is_default("ADMIN", b"admin"));
        assert!(!super::is_default("admin", b"c0rrect-h0rse"));
    }
}
