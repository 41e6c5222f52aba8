//! Access and refresh tokens for the HTTPS interface (1001 login, 1002
//! refresh, 1003 logout). Sans-IO: every call takes `now` [s]; tokens are
//! derived from a secret the caller supplies (the network layer draws it
//! from the OS once) and a counter, so a test or simulation is repeatable.

use sha1::{Digest, Sha1};
use std::collections::HashMap;

/// Why a token was refused. Each maps to business code 3002.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Unknown,
    Expired,
    Revoked,
    /// The token belongs to another user.
    WrongUser,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenError::Unknown => "unknown token",
            TokenError::Expired => "token expired",
            TokenError::Revoked => "token revoked",
            TokenError::WrongUser => "token belongs to another user",
        })
    }
}

impl std::error::Error for TokenError {}

/// What 1001 and 1002 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    /// Lifetime of the access token [s].
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
struct Session {
    user_id: String,
    refresh_token: String,
    /// Access token expiry [s since epoch].
    expires_at: i64,
    /// Refresh token expiry [s since epoch].
    refresh_expires_at: i64,
    revoked: bool,
    /// Already exchanged for a new pair (1002).
    refreshed: bool,
}

/// The platform's token table.
#[derive(Debug)]
pub struct TokenStore {
    secret: [u8; 16],
    counter: u64,
    /// Access token lifetime [s].
    pub ttl: i64,
    /// Refresh token lifetime [s].
    pub refresh_ttl: i64,
    sessions: HashMap<String, Session>,
    by_refresh: HashMap<String, String>,
    /// When [`TokenStore::issue`] next purges dead sessions [s].
    next_purge: i64,
}

/// How often `issue` forgets dead sessions [s].
const PURGE_EVERY: i64 = 60;

impl TokenStore {
    /// Access tokens live `ttl` seconds, refresh tokens `refresh_ttl`.
    pub fn new(secret: [u8; 16], ttl: i64, refresh_ttl: i64) -> TokenStore {
        TokenStore {
            secret,
            counter: 0,
            ttl,
            refresh_ttl,
            sessions: HashMap::new(),
            by_refresh: HashMap::new(),
            next_purge: i64::MIN,
        }
    }

    fn mint(&mut self, kind: &str, user: &str, now: i64) -> String {
        self.counter += 1;
        let mut h = Sha1::new();
        h.update(self.secret);
        h.update(kind.as_bytes());
        h.update(user.as_bytes());
        h.update(now.to_be_bytes());
        h.update(self.counter.to_be_bytes());
        hex::encode(h.finalize())
    }

    /// Issues a new pair for `user_id` (1001). Dead sessions are purged
    /// here, at most once a minute, so the table holds only live ones.
    pub fn issue(&mut self, user_id: &str, now: i64) -> Issued {
        if now >= self.next_purge {
            self.purge(now);
            self.next_purge = now.saturating_add(PURGE_EVERY);
        }
        let access = self.mint("a", user_id, now);
        let refresh = self.mint("r", user_id, now);
        self.sessions.insert(
            access.clone(),
            Session {
                user_id: user_id.to_string(),
                refresh_token: refresh.clone(),
                expires_at: now + self.ttl,
                refresh_expires_at: now + self.refresh_ttl,
                revoked: false,
                refreshed: false,
            },
        );
        self.by_refresh.insert(refresh.clone(), access.clone());
        Issued {
            access_token: access,
            refresh_token: refresh,
            expires_in: self.ttl,
        }
    }

    /// The user an access token belongs to, if it is valid at `now`.
    pub fn validate(&self, access: &str, now: i64) -> Result<&str, TokenError> {
        let s = self.sessions.get(access).ok_or(TokenError::Unknown)?;
        if s.revoked {
            Err(TokenError::Revoked)
        } else if now >= s.expires_at {
            Err(TokenError::Expired)
        } else {
            Ok(&s.user_id)
        }
    }

    /// 1002: `presented` is the access token (as the standard's request has
    /// it) or the refresh token. Allowed once per pair, while the refresh
    /// token is valid, even after the access token expired. The old access
    /// token stays valid until its own expiry, so requests already in
    /// flight with it are not refused; the old pair cannot be refreshed again.
    pub fn refresh(
        &mut self,
        user_id: &str,
        presented: &str,
        now: i64,
    ) -> Result<Issued, TokenError> {
        let access = if self.sessions.contains_key(presented) {
            presented.to_string()
        } else {
            self.by_refresh
                .get(presented)
                .cloned()
                .ok_or(TokenError::Unknown)?
        };
        let s = self.sessions.get_mut(&access).ok_or(TokenError::Unknown)?;
        if s.user_id != user_id {
            return Err(TokenError::WrongUser);
        }
        if s.revoked || s.refreshed {
            return Err(TokenError::Revoked);
        }
        if now >= s.refresh_expires_at {
            return Err(TokenError::Expired);
        }
        s.refreshed = true;
        Ok(self.issue(user_id, now))
    }

    /// 1003: revokes an access token (and its refresh token): both are
    /// forgotten at once.
    pub fn revoke(&mut self, access: &str, now: i64) -> Result<(), TokenError> {
        self.validate(access, now)?;
        if let Some(s) = self.sessions.remove(access) {
            self.by_refresh.remove(&s.refresh_token);
        }
        Ok(())
    }

    /// The user an access token was issued to, valid or not (None: unknown).
    pub fn owner(&self, access: &str) -> Option<&str> {
        self.sessions.get(access).map(|s| s.user_id.as_str())
    }

    /// Forgets sessions that can no longer be used: refresh token expired,
    /// revoked, or already refreshed with the access token expired.
    pub fn purge(&mut self, now: i64) {
        let dead: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| {
                now >= s.refresh_expires_at || s.revoked || (s.refreshed && now >= s.expires_at)
            })
            .map(|(a, _)| a.clone())
            .collect();
        for a in dead {
            if let Some(s) = self.sessions.remove(&a) {
                self.by_refresh.remove(&s.refresh_token);
            }
        }
    }

    /// Sessions held [count].
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn store() -> TokenStore {
        TokenStore::new([7; 16], 7200, 86_400)
    }

    #[test]
    fn issue_validate_expire() {
        let mut s = store();
        let t = s.issue("garage-1", 1000);
        assert_eq!(t.expires_in, 7200);
        assert_eq!(t.access_token.len(), 40);
        assert_ne!(t.access_token, t.refresh_token);
        assert_eq!(s.validate(&t.access_token, 1000), Ok("garage-1"));
        assert_eq!(s.validate(&t.access_token, 8199), Ok("garage-1"));
        assert_eq!(s.validate(&t.access_token, 8200), Err(TokenError::Expired));
        assert_eq!(s.validate("nope", 1000), Err(TokenError::Unknown));
        // Same inputs, same tokens: deterministic.
        assert_eq!(store().issue("garage-1", 1000), t);
        // A second login gets a different pair.
        assert_ne!(s.issue("garage-1", 1000).access_token, t.access_token);
    }

    #[test]
    fn refresh_once_old_token_lives_out_its_time() {
        let mut s = store();
        let t = s.issue("g", 0);
        let n = s.refresh("g", &t.access_token, 9000).unwrap();
        assert_eq!(s.validate(&n.access_token, 9000), Ok("g"));
        // The old pair was refreshed after its access token expired: it
        // is dead, and purged.
        assert_eq!(s.validate(&t.access_token, 10), Err(TokenError::Unknown));
        assert_eq!(
            s.refresh("g", &t.access_token, 9001),
            Err(TokenError::Unknown)
        );
        // Refreshed before expiry, the old access token lives out its
        // lifetime; it cannot be refreshed again.
        let mut s2 = store();
        let t2 = s2.issue("g", 0);
        s2.refresh("g", &t2.access_token, 100).unwrap();
        assert_eq!(s2.validate(&t2.access_token, 200), Ok("g"));
        assert_eq!(
            s2.validate(&t2.access_token, 7200),
            Err(TokenError::Expired)
        );
        assert_eq!(
            s2.refresh("g", &t2.access_token, 300),
            Err(TokenError::Revoked)
        );
        // By refresh token too; wrong user refused; refresh window enforced.
        assert_eq!(
            s.refresh("h", &n.refresh_token, 9002),
            Err(TokenError::WrongUser)
        );
        let m = s.refresh("g", &n.refresh_token, 9003).unwrap();
        assert_eq!(
            s.refresh("g", &m.access_token, 9003 + 86_400),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn revoke_and_purge() {
        let mut s = store();
        let t = s.issue("g", 0);
        assert_eq!(s.revoke(&t.access_token, 1), Ok(()));
        // Revoked: forgotten at once (no table growth).
        assert_eq!(s.validate(&t.access_token, 2), Err(TokenError::Unknown));
        assert_eq!(s.revoke(&t.access_token, 3), Err(TokenError::Unknown));
        assert!(s.is_empty());
        let u = s.issue("g", 10);
        assert_eq!(s.len(), 1);
        s.purge(10 + 86_400);
        assert!(s.is_empty());
        assert_eq!(s.validate(&u.access_token, 20), Err(TokenError::Unknown));
    }

    /// Logins long apart do not pile up sessions: `issue` purges.
    #[test]
    fn issue_purges_dead_sessions() {
        let mut s = store();
        for k in 0..1000 {
            s.issue("g", k * 100_000);
        }
        assert!(s.len() <= 2, "{}", s.len());
    }
}
