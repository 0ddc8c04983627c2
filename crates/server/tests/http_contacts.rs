//! §2, §7 (through the payload parser) and §8 over real HTTP.

mod common;

use common::{Api, Req, enc, id_of, person};
use contactspec_model::CONTACT_PROPERTIES;
use serde_json::{Value, json};

fn path(id: &str) -> String {
    format!("me/contacts/{}", enc(id))
}

#[tokio::test]
async fn create_returns_whole_contact_with_server_fields() {
    let api = Api::start().await;
    let (def, _, _) = api.folders().await;
    let r = api
        .post(
            "me/contacts",
            json!({"GivenName": "Pavel", "Surname": "Bansky", "EmailAddresses": [{"Address": "p@x.test", "Name": "P"}]}),
        )
        .await;
    r.expect(201, None);
    let c = r.json();
    for p in CONTACT_PROPERTIES {
        assert!(c.get(p.name).is_some(), "missing {}", p.name);
    }
    let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.iter().filter(|k| !k.starts_with('@')).count(),
        CONTACT_PROPERTIES.len()
    );
    assert_eq!(c["ParentFolderId"], def.as_str());
    assert_eq!(c["DisplayName"], "Pavel Bansky");
    assert_eq!(c["Flag"], json!({"FlagStatus": "NotFlagged"}));
    assert_eq!(c["Categories"], json!([]));
    assert_eq!(c["Title"], Value::Null);
    assert_eq!(
        c["@odata.etag"],
        format!("W/\"{}\"", c["ChangeKey"].as_str().unwrap())
    );
    assert!(c["CreatedDateTime"].as_str().unwrap().ends_with('Z'));
    assert!(c["CreatedDateTime"].as_str() <= c["LastModifiedDateTime"].as_str());
    assert!(r.header("location").is_some());
    // GET gives the same contact.
    let g = api.get(&path(&id_of(&c))).await;
    g.expect(200, None);
    let mut a = g.json();
    let mut b = c.clone();
    a.as_object_mut().unwrap().remove("@odata.context");
    b.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(a, b);
}

#[tokio::test]
async fn display_name_computed_at_create_only() {
    let api = Api::start().await;
    for (body, dn) in [
        (json!({"GivenName": "A", "Surname": "B"}), json!("A B")),
        (json!({"GivenName": "A"}), json!("A")),
        (json!({"Surname": "B"}), json!("B")),
        (json!({}), Value::Null),
        (
            json!({"GivenName": "A", "Surname": "B", "DisplayName": "Own"}),
            json!("Own"),
        ),
    ] {
        let c = api.create(body.clone()).await;
        assert_eq!(c["DisplayName"], dn, "{body}");
    }
    let c = api.create(person("Ann", "Lee")).await;
    let r = api
        .patch(&path(&id_of(&c)), json!({"GivenName": "Bea"}))
        .await;
    r.expect(200, None);
    assert_eq!(r.json()["DisplayName"], "Ann Lee");
}

#[tokio::test]
async fn ids_unique_and_never_reused() {
    let api = Api::start().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let c = api.create(person("x", "y")).await;
        let id = id_of(&c);
        assert!(!id.contains(['/', '?', '#', '%']));
        assert!(seen.insert(id.clone()));
        api.delete(&path(&id)).await.expect(204, None);
    }
}

#[tokio::test]
async fn update_merges_replaces_arrays_clears_nulls_and_versions() {
    let api = Api::start().await;
    let c = api
        .create(json!({"GivenName": "Up", "Surname": "Date", "JobTitle": "Dev", "Categories": ["a", "b"]}))
        .await;
    let id = id_of(&c);
    let r = api
        .patch(
            &path(&id),
            json!({"Categories": ["c"], "JobTitle": null, "NickName": "N"}),
        )
        .await;
    r.expect(200, None);
    let u = r.json();
    assert_eq!(u["Categories"], json!(["c"]));
    assert_eq!(u["JobTitle"], Value::Null);
    assert_eq!(u["NickName"], "N");
    assert_eq!(u["GivenName"], "Up");
    assert_ne!(u["ChangeKey"], c["ChangeKey"]);
    assert_eq!(u["CreatedDateTime"], c["CreatedDateTime"]);
    assert!(u["LastModifiedDateTime"].as_str() > c["LastModifiedDateTime"].as_str());
    // A PATCH that changes nothing may keep the ChangeKey; a GET changes nothing.
    let again = api.patch(&path(&id), json!({"NickName": "N"})).await.json();
    assert_eq!(again["ChangeKey"], u["ChangeKey"]);
    let g = api.get(&path(&id)).await.json();
    assert_eq!(g["ChangeKey"], u["ChangeKey"]);
    assert_eq!(g["LastModifiedDateTime"], again["LastModifiedDateTime"]);
}

#[tokio::test]
async fn preconditions_if_match_and_changekey_in_body() {
    let api = Api::start().await;
    let c = api.create(person("Pre", "Cond")).await;
    let id = id_of(&c);
    let ck = c["ChangeKey"].as_str().unwrap().to_string();
    for (tag, ok) in [
        (format!("W/\"{ck}\""), true),
        (format!("\"{ck}\""), true),
        ("*".to_string(), true),
        ("W/\"stale\"".to_string(), false),
    ] {
        let before = api.get(&path(&id)).await.json();
        let cur = before["ChangeKey"].as_str().unwrap().to_string();
        let tag = tag.replace(&ck, &cur);
        let r = api
            .send(
                Req::new("PATCH", &path(&id))
                    .header("If-Match", &tag)
                    .json(&json!({"NickName": tag})),
            )
            .await;
        if ok {
            r.expect(200, None);
        } else {
            r.expect(412, Some("ErrorIrresolvableConflict"));
            assert_eq!(api.get(&path(&id)).await.json(), before);
        }
    }
    let before = api.get(&path(&id)).await.json();
    api.patch(&path(&id), json!({"ChangeKey": "stale", "NickName": "z"}))
        .await
        .expect(409, Some("ErrorIrresolvableConflict"));
    assert_eq!(api.get(&path(&id)).await.json(), before);
    let cur = before["ChangeKey"].clone();
    api.patch(&path(&id), json!({"ChangeKey": cur, "NickName": "z"}))
        .await
        .expect(200, None);
    // DELETE with a stale If-Match: 412, nothing deleted; then a matching one.
    api.send(Req::new("DELETE", &path(&id)).header("If-Match", "W/\"old\""))
        .await
        .expect(412, Some("ErrorIrresolvableConflict"));
    api.send(Req::new("DELETE", &path(&id)).header("If-Match", "*"))
        .await
        .expect(204, None);
    // A precondition on a contact that does not exist answers 404.
    api.send(
        Req::new("PATCH", &path(&id))
            .header("If-Match", "W/\"x\"")
            .json(&json!({})),
    )
    .await
    .expect(404, Some("ErrorItemNotFound"));
}

#[tokio::test]
async fn delete_then_everything_404() {
    let api = Api::start().await;
    let c = api.create(person("Del", "Me")).await;
    let id = id_of(&c);
    let r = api.delete(&path(&id)).await;
    r.expect(204, None);
    assert!(r.body.is_empty());
    api.get(&path(&id))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    api.patch(&path(&id), json!({"NickName": "x"}))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    api.delete(&path(&id))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    api.get(&format!("{}/photo", path(&id)))
        .await
        .expect(404, Some("ErrorItemNotFound"));
}

#[tokio::test]
async fn rejected_writes_store_nothing() {
    let api = Api::start().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"Surname": "atomic1", "Id": "x"}),
            "ErrorInvalidPropertySet",
        ),
        (
            json!({"Surname": "atomic2", "IsFavorite": true}),
            "ErrorInvalidPropertySet",
        ),
        (
            json!({"Surname": "atomic3", "ChangeKey": "x"}),
            "ErrorInvalidPropertySet",
        ),
        (
            json!({"Surname": "atomic4", "givenName": "x"}),
            "RequestBodyRead",
        ),
        (
            json!({"Surname": "atomic5", "Categories": null}),
            "RequestBodyRead",
        ),
        (
            json!({"Surname": "atomic6", "Phones": [{"Type": "business", "Number": "1"}]}),
            "RequestBodyRead",
        ),
        (
            json!({"Surname": "atomic7", "Birthday": "1974-07-22T10:00:00"}),
            "RequestBodyRead",
        ),
        (
            json!({"Surname": "atomic8", "Flag": {"FlagStatus": "Flagged", "CompletedDateTime": {"DateTime": "2018-01-01T00:00:00", "TimeZone": "UTC"}}}),
            "ErrorInvalidArgument",
        ),
        (
            json!({"Surname": "atomic9", "Flag": null}),
            "RequestBodyRead",
        ),
    ];
    for (body, code) in &cases {
        api.post("me/contacts", body.clone())
            .await
            .expect(400, Some(code));
    }
    let list = api.get("me/contacts?$top=100").await.json();
    assert_eq!(
        list["value"],
        json!([]),
        "a rejected create stored something"
    );
    // A rejected update leaves the contact as it was.
    let c = api.create(person("Keep", "Me")).await;
    let id = id_of(&c);
    let before = api.get(&path(&id)).await.json();
    for (body, code) in &cases {
        let mut body = body.clone();
        if code == &"ErrorInvalidPropertySet" && body.get("ChangeKey").is_some() {
            continue; // ChangeKey is a concurrency check on PATCH
        }
        body["Surname"] = json!("changed");
        api.patch(&path(&id), body).await.expect(400, Some(code));
    }
    assert_eq!(api.get(&path(&id)).await.json(), before);
}

#[tokio::test]
async fn birthday_and_flags_normalised() {
    let api = Api::start().await;
    let c = api
        .create(json!({
            "GivenName": "Flag",
            "Birthday": "1974-07-22T10:00:00+02:00",
            "Flag": {
                "FlagStatus": "Flagged",
                "StartDateTime": {"DateTime": "2017-12-22T08:00:00", "TimeZone": "Pacific Standard Time"},
                "DueDateTime": {"DateTime": "2017-12-23T08:00:00", "TimeZone": "Pacific Standard Time"}
            }
        }))
        .await;
    assert_eq!(c["Birthday"], "1974-07-22T08:00:00Z");
    assert_eq!(c["Flag"]["StartDateTime"]["TimeZone"], "UTC");
    assert_eq!(
        c["Flag"]["StartDateTime"]["DateTime"],
        "2017-12-22T16:00:00.0000000"
    );
    // FL-TIMEZONE-PREFER: shown in the preferred zone, labelled as sent.
    let r = api
        .send(
            Req::new("GET", &path(&id_of(&c)))
                .header("Prefer", "outlook.timezone=\"Tokyo Standard Time\""),
        )
        .await
        .json();
    assert_eq!(
        r["Flag"]["StartDateTime"]["TimeZone"],
        "Tokyo Standard Time"
    );
    assert_eq!(
        r["Flag"]["StartDateTime"]["DateTime"],
        "2017-12-23T01:00:00.0000000"
    );
    assert_eq!(r["Birthday"], "1974-07-22T08:00:00Z");
    // An unknown zone in the preference is ignored.
    let r = api
        .send(
            Req::new("GET", &path(&id_of(&c)))
                .header("Prefer", "outlook.timezone=\"Mars/Olympus\""),
        )
        .await
        .json();
    assert_eq!(r["Flag"]["StartDateTime"]["TimeZone"], "UTC");
    // Complete stores the completion date at midnight UTC.
    let r = api
        .patch(
            &path(&id_of(&c)),
            json!({"Flag": {"FlagStatus": "Complete", "CompletedDateTime": {"DateTime": "2018-02-05T18:00:00", "TimeZone": "Pacific Standard Time"}}}),
        )
        .await;
    r.expect(200, None);
    assert_eq!(
        r.json()["Flag"]["CompletedDateTime"]["DateTime"],
        "2018-02-06T00:00:00.0000000"
    );
}

#[tokio::test]
async fn select_on_single_entity() {
    let api = Api::start().await;
    let c = api.create(person("Sel", "Ect")).await;
    let r = api
        .get(&format!("{}?$select=givenname,Surname", path(&id_of(&c))))
        .await;
    r.expect(200, None);
    let v = r.json();
    let props: Vec<&String> = v
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@'))
        .collect();
    assert_eq!(props.len(), 3, "{v}");
    assert_eq!(v["GivenName"], "Sel");
    assert_eq!(v["Id"], c["Id"]);
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .contains("(GivenName,Surname)")
    );
    for bad in [
        "$select=Nope",
        "$select=",
        "$select=A,,B",
        "$select=Flag/FlagStatus",
    ] {
        api.get(&format!("{}?{bad}", path(&id_of(&c))))
            .await
            .expect(400, Some("RequestBroker-ParseUri"));
    }
    api.get(&format!("{}?$foo=1", path(&id_of(&c))))
        .await
        .expect(400, Some("ErrorInvalidUrlQuery"));
    api.get(&format!("{}?foo=1", path(&id_of(&c))))
        .await
        .expect(200, None);
}

#[tokio::test]
async fn folder_scoped_addressing_and_create() {
    let api = Api::start().await;
    let (def, fin, vendors) = api.folders().await;
    let r = api
        .post(
            &format!("me/contactfolders/{fin}/contacts"),
            person("In", "Finance"),
        )
        .await;
    r.expect(201, None);
    let c = r.json();
    assert_eq!(c["ParentFolderId"], fin.as_str());
    let id = enc(&id_of(&c));
    api.get(&format!("me/contacts/{id}"))
        .await
        .expect(200, None);
    api.get(&format!("me/contactfolders/{fin}/contacts/{id}"))
        .await
        .expect(200, None);
    api.get(&format!("me/contactfolders/{def}/contacts/{id}"))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    let v = api
        .post(
            &format!("me/contactfolders/{fin}/childfolders/{vendors}/contacts"),
            person("V", "x"),
        )
        .await;
    v.expect(201, None);
    assert_eq!(v.json()["ParentFolderId"], vendors.as_str());
    api.post("me/contactfolders/nope/contacts", person("a", "b"))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    // Not in the default folder's list.
    let list = api.get("me/contacts").await.json();
    assert!(
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["Id"] != c["Id"])
    );
}

#[tokio::test]
async fn parallel_creates_get_distinct_ids() {
    let api = std::sync::Arc::new(Api::start().await);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let c = api.create(person("Par", &format!("p{i}"))).await;
            id_of(&c)
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        assert!(ids.insert(t.await.unwrap()));
    }
    let list = api.get("me/contacts?$top=100").await.json();
    let listed: std::collections::HashSet<String> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn parallel_patches_each_apply_whole() {
    let api = std::sync::Arc::new(Api::start().await);
    let c = api.create(person("Race", "R")).await;
    let id = id_of(&c);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let api = api.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let cats: Vec<String> = (0..5).map(|k| format!("{i}-{k}")).collect();
            let r = api
                .patch(
                    &path(&id),
                    json!({"NickName": format!("n{i}"), "Categories": cats}),
                )
                .await;
            assert_eq!(r.status, 200);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let g = api.get(&path(&id)).await.json();
    let cats = g["Categories"].as_array().unwrap();
    let first = cats[0]
        .as_str()
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .to_string();
    assert!(
        cats.iter()
            .all(|c| c.as_str().unwrap().starts_with(&format!("{first}-")))
    );
    assert_eq!(cats.len(), 5);
}
