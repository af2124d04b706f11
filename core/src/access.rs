//! Who may do what through the owner API: scopes, the agents a key is limited to, and the
//! one decision every `/v1` route goes through ([`Principal::allows`]).

use crate::lead::Actor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Scope {
    #[serde(rename = "leads:read")]
    LeadsRead,
    #[serde(rename = "leads:write")]
    LeadsWrite,
    #[serde(rename = "analytics:read")]
    AnalyticsRead,
    #[serde(rename = "config:write")]
    ConfigWrite,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::LeadsRead,
        Scope::LeadsWrite,
        Scope::AnalyticsRead,
        Scope::ConfigWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::LeadsRead => "leads:read",
            Scope::LeadsWrite => "leads:write",
            Scope::AnalyticsRead => "analytics:read",
            Scope::ConfigWrite => "config:write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What a route needs beyond a valid key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Scope(Scope),
    /// Only the bootstrap key: making keys and agents.
    Admin,
}

/// What a dashboard member may do. Seed 004 puts the lead pipeline behind "Permission:
/// Leads module": that module is all a `sales` member sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, members and keys included.
    Admin,
    /// The leads module: read and work leads (stages, notes, replays, export, delete).
    Sales,
    /// Reads leads and analytics, changes nothing.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Sales, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Sales => "sales",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The scopes a role carries; an admin also passes [`Need::Admin`].
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Role::Admin => &Scope::ALL,
            Role::Sales => &[Scope::LeadsRead, Scope::LeadsWrite],
            Role::Viewer => &[Scope::LeadsRead, Scope::AnalyticsRead],
        }
    }
}

/// Who is calling, once their key or session checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `LEADFORM_API_KEY`: every scope, every agent.
    Admin,
    Key {
        id: String,
        scopes: Vec<Scope>,
        /// `None`: every agent.
        agents: Option<Vec<String>>,
    },
    /// A dashboard member, signed in: what they may do is their role's.
    Member { id: String, role: Role },
}

/// Why a valid key may not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    MissingScope(Scope),
    AdminOnly,
}

impl Principal {
    pub fn allows(&self, need: Need) -> Result<(), Denied> {
        match (self, need) {
            (Principal::Admin, _)
            | (
                Principal::Member {
                    role: Role::Admin, ..
                },
                _,
            ) => Ok(()),
            (Principal::Member { .. }, Need::Admin) => Err(Denied::AdminOnly),
            (Principal::Member { role, .. }, Need::Scope(scope)) if role.scopes().contains(&scope) => Ok(()),
            (Principal::Member { .. }, Need::Scope(scope)) => Err(Denied::MissingScope(scope)),
            (Principal::Key { .. }, Need::Admin) => Err(Denied::AdminOnly),
            (Principal::Key { scopes, .. }, Need::Scope(scope)) if scopes.contains(&scope) => Ok(()),
            (Principal::Key { .. }, Need::Scope(scope)) => Err(Denied::MissingScope(scope)),
        }
    }

    /// Whether this caller may see anything of `agent_id`. Callers answer "not found" when
    /// not, so a key cannot even learn that another agent's ids exist.
    pub fn sees_agent(&self, agent_id: &str) -> bool {
        match self {
            Principal::Admin | Principal::Member { .. } | Principal::Key { agents: None, .. } => true,
            Principal::Key {
                agents: Some(agents), ..
            } => agents.iter().any(|a| a == agent_id),
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Principal::Admin => Actor::Admin,
            Principal::Key { id, .. } => Actor::Key(id.clone()),
            Principal::Member { id, .. } => Actor::Member(id.clone()),
        }
    }
}

/// How a key is stored: the SHA-256 of its text, hex. Keys are 32 random bytes, so a slow
/// password hash would add cost and no safety.
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The text of a new key from its random bytes: `lf_` and 64 hex digits.
pub fn key_text(random: &[u8; 32]) -> String {
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("lf_{hex}")
}

/// What a key list shows to tell keys apart without revealing them.
pub fn key_prefix(key: &str) -> String {
    key.chars().take(10).collect()
}

/// The token that lets a page's handler report a submission's client result: an HMAC of
/// the submission id under a key derived from the owner key (no second secret to keep). The
/// submit answer hands it to the widget; someone who only saw the id (in Slack, an email, a
/// sheet) cannot report in the visitor's place.
pub fn client_token(owner_key: &str, submission_id: &str) -> String {
    proof(owner_key, "client result", submission_id)
}

/// Whether `given` is the client token of `submission_id`, compared in constant time.
pub fn client_token_is_valid(owner_key: &str, submission_id: &str, given: &str) -> bool {
    proof_holds(owner_key, "client result", submission_id, given)
}

/// The token that lets the visitor's browser read and go on with a conversation: starting
/// one hands it to the widget. Its id alone, which the owner's systems see (a webhook, a
/// sheet's row, an email), reads nothing of what the visitor said.
pub fn conversation_token(owner_key: &str, conversation_id: &str) -> String {
    proof(owner_key, "conversation", conversation_id)
}

/// Whether `given` is the token of `conversation_id`, compared in constant time.
pub fn conversation_token_is_valid(owner_key: &str, conversation_id: &str, given: &str) -> bool {
    proof_holds(owner_key, "conversation", conversation_id, given)
}

/// An HMAC of `id` for `purpose` under the owner key (no second secret to keep), so one
/// purpose's token is never another's.
fn proof(owner_key: &str, purpose: &str, id: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(owner_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("leadform {purpose} v1\n{id}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn proof_holds(owner_key: &str, purpose: &str, id: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(
        proof(owner_key, purpose, id)
            .as_bytes()
            .ct_eq(given.trim().as_bytes()),
    )
}

/// The credentials of an `Authorization: Bearer <token>` header; empty for any other
/// scheme. The scheme's name is case-insensitive (RFC 9110 11.1: `bearer` and `BEARER`
/// are the same), and any run of spaces may follow it.
pub fn bearer_token(header: &str) -> &str {
    match header.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("Bearer") => token.trim(),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scopes: &[Scope], agents: Option<&[&str]>) -> Principal {
        Principal::Key {
            id: "key_1".into(),
            scopes: scopes.to_vec(),
            agents: agents.map(|a| a.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn a_bearer_token_is_read_whatever_the_scheme_s_case() {
        for header in [
            "Bearer lf_abc",
            "bearer lf_abc",
            "BEARER   lf_abc ",
            " Bearer lf_abc",
        ] {
            assert_eq!(bearer_token(header), "lf_abc", "{header:?}");
        }
        for header in [
            "",
            "Bearer",
            "Bearer ",
            "Basic lf_abc",
            "Bearerlf_abc",
            "lf_abc",
            "Token lf_abc",
        ] {
            assert_eq!(bearer_token(header), "", "{header:?}");
        }
    }

    #[test]
    fn scopes_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            assert_eq!(serde_json::to_value(scope).unwrap(), scope.as_str());
        }
        assert_eq!(Scope::parse("leads:*"), None);
    }

    #[test]
    fn a_key_has_exactly_its_scopes_and_never_admin() {
        let reader = key(&[Scope::LeadsRead], None);
        assert_eq!(reader.allows(Need::Scope(Scope::LeadsRead)), Ok(()));
        assert_eq!(
            reader.allows(Need::Scope(Scope::LeadsWrite)),
            Err(Denied::MissingScope(Scope::LeadsWrite))
        );
        assert_eq!(reader.allows(Need::Admin), Err(Denied::AdminOnly));
        let all = key(&Scope::ALL, None);
        assert_eq!(all.allows(Need::Admin), Err(Denied::AdminOnly));
        for scope in Scope::ALL {
            assert_eq!(Principal::Admin.allows(Need::Scope(scope)), Ok(()));
        }
        assert_eq!(Principal::Admin.allows(Need::Admin), Ok(()));
    }

    #[test]
    fn a_key_limited_to_agents_sees_only_those() {
        let limited = key(&[Scope::LeadsRead], Some(&["agent_a"]));
        assert!(limited.sees_agent("agent_a"));
        assert!(!limited.sees_agent("agent_b"));
        assert!(!key(&[], Some(&[])).sees_agent("agent_a"));
        assert!(key(&[], None).sees_agent("agent_b"));
        assert!(Principal::Admin.sees_agent("agent_b"));
        assert_eq!(limited.actor().label(), "key:key_1");
        assert_eq!(Principal::Admin.actor().label(), "admin");
    }

    #[test]
    fn a_client_token_belongs_to_one_submission_and_one_owner_key() {
        let token = client_token("owner-key-0123456789", "sub_1");
        assert_eq!(token.len(), 43);
        assert!(client_token_is_valid("owner-key-0123456789", "sub_1", &token));
        assert!(!client_token_is_valid("owner-key-0123456789", "sub_2", &token));
        assert!(!client_token_is_valid("another-owner-key-000", "sub_1", &token));
        assert!(!client_token_is_valid("owner-key-0123456789", "sub_1", ""));
        assert!(!client_token_is_valid(
            "owner-key-0123456789",
            "sub_1",
            &token[..42]
        ));
    }

    #[test]
    fn a_conversation_token_opens_one_conversation_and_is_no_client_token() {
        let key = "owner-key-0123456789";
        let token = conversation_token(key, "conv_1");
        assert!(conversation_token_is_valid(key, "conv_1", &token));
        assert!(!conversation_token_is_valid(key, "conv_2", &token));
        assert!(!conversation_token_is_valid(key, "conv_1", ""));
        // The same id under another purpose is another token.
        assert!(!client_token_is_valid(key, "conv_1", &token));
        assert!(!conversation_token_is_valid(
            key,
            "conv_1",
            &client_token(key, "conv_1")
        ));
    }

    #[test]
    fn a_member_may_do_what_the_role_carries() {
        let member = |role| Principal::Member {
            id: "mem_1".into(),
            role,
        };
        let admin = member(Role::Admin);
        assert_eq!(admin.allows(Need::Admin), Ok(()));
        let sales = member(Role::Sales);
        assert_eq!(sales.allows(Need::Scope(Scope::LeadsWrite)), Ok(()));
        assert_eq!(
            sales.allows(Need::Scope(Scope::ConfigWrite)),
            Err(Denied::MissingScope(Scope::ConfigWrite))
        );
        assert_eq!(
            sales.allows(Need::Scope(Scope::AnalyticsRead)),
            Err(Denied::MissingScope(Scope::AnalyticsRead))
        );
        assert_eq!(sales.allows(Need::Admin), Err(Denied::AdminOnly));
        let viewer = member(Role::Viewer);
        assert_eq!(viewer.allows(Need::Scope(Scope::LeadsRead)), Ok(()));
        assert_eq!(viewer.allows(Need::Scope(Scope::AnalyticsRead)), Ok(()));
        assert_eq!(
            viewer.allows(Need::Scope(Scope::LeadsWrite)),
            Err(Denied::MissingScope(Scope::LeadsWrite))
        );
        assert!(viewer.sees_agent("any"));
        assert_eq!(viewer.actor().label(), "member:mem_1");
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn keys_are_stored_as_their_hash() {
        let text = key_text(&[7; 32]);
        assert_eq!(text.len(), 67);
        assert!(text.starts_with("lf_0707"));
        assert_eq!(key_prefix(&text), "lf_0707070");
        let hash = key_hash(&text);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, key_hash("lf_other"));
        // The SHA-256 of "abc", a published test vector.
        assert_eq!(
            key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
