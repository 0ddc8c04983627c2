//! What the suite learns about a target before the cases run (SPEC.md §11): the
//! default folder, another top-level folder, a folder with a child, user A's user
//! segment, and whether the second token works.

use crate::case::{Requirement, TokenChoice};
use crate::client::{HttpClient, SentRequest, TransportError};
use crate::guard::Registry;
use serde_json::{Value, json};

/// What discovery found; `None` members carry their reason in `missing`.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Id of the folder with `WellKnownName` `contacts`.
    pub default_folder: Option<String>,
    /// Another top-level folder.
    pub other_folder: Option<String>,
    /// A folder with a child folder.
    pub parent_folder: Option<String>,
    /// That child.
    pub child_folder: Option<String>,
    /// A folder of user A with no contacts at discovery time.
    pub empty_folder: Option<String>,
    /// User A's segment as in `Users('…')`.
    pub user: Option<String>,
    /// User B's default folder.
    pub b_default_folder: Option<String>,
    /// The second token works.
    pub second_token: bool,
    /// Template name → why it has no value.
    pub missing: Vec<(String, String)>,
    /// Set when the target could not be reached at all.
    pub unreachable: Option<String>,
    /// Set when the target answered 401 to user A's token at the start (most likely
    /// a wrong `--token`).
    pub token_rejected: Option<String>,
    /// Requests discovery sent.
    pub requests: u64,
}

impl Discovery {
    /// Why a requirement is not met, if it is not.
    pub fn lacks(&self, r: Requirement) -> Option<String> {
        let why = |name: &str| {
            self.missing
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, w)| w.clone())
                .unwrap_or_else(|| "not found".to_string())
        };
        match r {
            Requirement::SecondToken if !self.second_token => Some(format!(
                "requires second_token: {}",
                why("b.folder.default")
            )),
            Requirement::OtherFolder if self.other_folder.is_none() => {
                Some(format!("requires other_folder: {}", why("folder.other")))
            }
            Requirement::ChildFolder if self.child_folder.is_none() => {
                Some(format!("requires child_folder: {}", why("folder.child")))
            }
            Requirement::EmptyFolder if self.empty_folder.is_none() => {
                Some(format!("requires empty_folder: {}", why("folder.empty")))
            }
            _ => None,
        }
    }
}

/// Everything discovery needs to send requests.
pub struct Target<'a> {
    /// The client.
    pub client: &'a HttpClient,
    /// Base URL without trailing slash.
    pub base: &'a str,
    /// User A's token.
    pub token_a: &'a str,
    /// User B's token.
    pub token_b: Option<&'a str>,
    /// Where the probe contact is recorded.
    pub registry: &'a Registry,
    /// Marker for the probe contact.
    pub marker: &'a str,
}

impl Target<'_> {
    async fn send(
        &self,
        d: &mut Discovery,
        method: &str,
        url: String,
        token: &str,
        body: Option<Value>,
    ) -> Result<(u16, Option<Value>), TransportError> {
        let mut headers = vec![("Authorization".to_string(), format!("Bearer {token}"))];
        if body.is_some() {
            headers.push(("Content-Type".to_string(), "application/json".to_string()));
        }
        let ex = self
            .client
            .send(SentRequest {
                method: method.to_string(),
                url,
                headers,
                body: body.map(|b| b.to_string().into_bytes()),
            })
            .await;
        d.requests += 1;
        let r = ex.response?;
        let json = r.json();
        if let Some(j) = &json {
            self.registry.saw(j);
        }
        Ok((r.status, json))
    }

    /// Lists a folder collection, following next links (at most 20 pages).
    async fn folders(
        &self,
        d: &mut Discovery,
        url: String,
        token: &str,
    ) -> Result<Result<Vec<Value>, String>, TransportError> {
        let mut out = Vec::new();
        let mut next = Some(url);
        let mut pages = 0;
        while let Some(u) = next.take() {
            pages += 1;
            let (status, json) = self.send(d, "GET", u.clone(), token, None).await?;
            let Some(j) = json.filter(|_| status == 200) else {
                return Ok(Err(format!("GET {u} answered {status}")));
            };
            out.extend(
                j.get("value")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            next = j
                .get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_string);
            if pages >= 20 {
                break;
            }
        }
        Ok(Ok(out))
    }
}

fn id_of(v: &Value) -> Option<String> {
    v.get("Id").and_then(Value::as_str).map(str::to_string)
}

/// Extracts `x` from `…/Users('x')/…` (case-insensitive `Users`), percent-decoded.
pub fn user_segment(odata_id: &str) -> Option<String> {
    let lower = odata_id.to_ascii_lowercase();
    let start = lower.find("users('")? + "users('".len();
    let end = start + odata_id[start..].find("')")?;
    Some(
        percent_encoding::percent_decode_str(&odata_id[start..end])
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// Discovers the target. Stops at the first transport error (the target is then
/// `unreachable`), so a dead target costs one timeout.
pub async fn discover(t: &Target<'_>) -> Discovery {
    let mut d = Discovery::default();
    if let Err(e) = discover_inner(t, &mut d).await {
        d.unreachable = Some(e.to_string());
    }
    for (name, have) in [
        ("folder.default", d.default_folder.is_some()),
        ("folder.other", d.other_folder.is_some()),
        ("folder.parent", d.parent_folder.is_some()),
        ("folder.child", d.child_folder.is_some()),
        ("folder.empty", d.empty_folder.is_some()),
        ("user", d.user.is_some()),
        ("b.folder.default", d.b_default_folder.is_some()),
    ] {
        if !have && !d.missing.iter().any(|(n, _)| n == name) {
            let why = d.unreachable.clone().map_or_else(
                || "not found on the target".to_string(),
                |u| format!("target unreachable: {u}"),
            );
            d.missing.push((name.to_string(), why));
        }
    }
    d
}

async fn discover_inner(t: &Target<'_>, d: &mut Discovery) -> Result<(), TransportError> {
    let base = t.base;
    match t
        .folders(d, format!("{base}/me/contactfolders"), t.token_a)
        .await?
    {
        Err(why) => {
            if why.ends_with("answered 401") {
                d.token_rejected = Some(why.clone());
            }
            for n in [
                "folder.default",
                "folder.other",
                "folder.parent",
                "folder.child",
            ] {
                d.missing.push((n.to_string(), why.clone()));
            }
        }
        Ok(top) => {
            d.default_folder = top
                .iter()
                .find(|f| f.get("WellKnownName").and_then(Value::as_str) == Some("contacts"))
                .and_then(id_of);
            d.other_folder = top
                .iter()
                .filter_map(id_of)
                .find(|id| Some(id) != d.default_folder.as_ref());
            for f in top.iter().filter_map(id_of).take(20) {
                let url = format!(
                    "{base}/me/contactfolders/{}/childfolders",
                    crate::template::encode_id(&f)
                );
                if let Ok(children) = t.folders(d, url, t.token_a).await?
                    && let Some(c) = children.first().and_then(id_of)
                {
                    d.parent_folder = Some(f);
                    d.child_folder = Some(c);
                    break;
                }
            }
            // An empty folder: the child first, then the other top-level folders.
            let mut candidates: Vec<String> = d.child_folder.iter().cloned().collect();
            candidates.extend(
                top.iter()
                    .filter_map(id_of)
                    .filter(|id| Some(id) != d.default_folder.as_ref()),
            );
            candidates.extend(d.default_folder.iter().cloned());
            for f in candidates.into_iter().take(20) {
                let url = format!(
                    "{base}/me/contactfolders/{}/contacts?$top=1",
                    crate::template::encode_id(&f)
                );
                let (status, json) = t.send(d, "GET", url, t.token_a, None).await?;
                let empty = json
                    .as_ref()
                    .and_then(|j| j.get("value"))
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty);
                if status == 200 && empty {
                    d.empty_folder = Some(f);
                    break;
                }
            }
            if d.empty_folder.is_none() {
                d.missing.push((
                    "folder.empty".to_string(),
                    "every contact folder of user A holds contacts".to_string(),
                ));
            }
            if d.child_folder.is_none() {
                for n in ["folder.parent", "folder.child"] {
                    d.missing.push((
                        n.to_string(),
                        "no top-level folder of user A has a child folder".to_string(),
                    ));
                }
            }
            if d.other_folder.is_none() {
                d.missing.push((
                    "folder.other".to_string(),
                    "user A has no top-level folder besides the default one".to_string(),
                ));
            }
        }
    }
    // The user segment: create a probe contact, read its @odata.id, delete it.
    let body = json!({"GivenName": "contactspec-discovery", "Surname": t.marker});
    let (status, json) = t
        .send(
            d,
            "POST",
            format!("{base}/me/contacts"),
            t.token_a,
            Some(body),
        )
        .await?;
    match json.as_ref().and_then(id_of).filter(|_| status == 201) {
        Some(id) => {
            t.registry.created(&id, TokenChoice::A);
            d.user = json
                .as_ref()
                .and_then(|j| j.get("@odata.id"))
                .and_then(Value::as_str)
                .and_then(user_segment);
            if d.user.is_none() {
                d.missing.push((
                    "user".to_string(),
                    "the created contact's @odata.id has no Users('…') segment".to_string(),
                ));
            }
            let url = format!("{base}/me/contacts/{}", crate::template::encode_id(&id));
            let (st, _) = t.send(d, "DELETE", url, t.token_a, None).await?;
            if st == 204 || st == 404 {
                t.registry.deleted(&id);
            }
        }
        None => d.missing.push((
            "user".to_string(),
            format!("creating a probe contact answered {status}"),
        )),
    }
    match t.token_b {
        None => d.missing.push((
            "b.folder.default".to_string(),
            "no second token given (--second-token)".to_string(),
        )),
        Some(tb) => match t
            .folders(d, format!("{base}/me/contactfolders"), tb)
            .await?
        {
            Err(why) => d.missing.push((
                "b.folder.default".to_string(),
                format!("the second token does not work: {why}"),
            )),
            Ok(top) => {
                d.second_token = true;
                d.b_default_folder = top
                    .iter()
                    .find(|f| f.get("WellKnownName").and_then(Value::as_str) == Some("contacts"))
                    .and_then(id_of);
            }
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_segments() {
        assert_eq!(
            user_segment("http://h/api/beta/Users('a%40b.c')/Contacts('X')").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(
            user_segment("http://h/api/beta/users('u1')/contacts('X')").as_deref(),
            Some("u1")
        );
        assert_eq!(user_segment("http://h/api/beta/me/contacts/X"), None);
    }
}
