//! §3 (folders) and §4 (photos) over real HTTP.

mod common;

use common::{Api, Req, enc, id_of, jpeg, person, png};
use serde_json::{Value, json};

#[tokio::test]
async fn folders_shape_and_navigation() {
    let api = Api::start().await;
    let top = api.get("me/contactfolders").await;
    top.expect(200, None);
    let top = top.json();
    let list = top["value"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let parents: std::collections::HashSet<&Value> =
        list.iter().map(|f| &f["ParentFolderId"]).collect();
    assert_eq!(parents.len(), 1);
    let wk: Vec<&Value> = list
        .iter()
        .filter(|f| f["WellKnownName"] == "contacts")
        .collect();
    assert_eq!(wk.len(), 1);
    for f in list {
        let mut keys: Vec<&str> = f
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| !k.starts_with('@'))
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            ["DisplayName", "Id", "ParentFolderId", "WellKnownName"]
        );
        assert!(f["@odata.id"].as_str().unwrap().starts_with("http://"));
    }
    let (def, fin, vendors) = api.folders().await;
    // Any depth via contactfolders/{id}; direct child via childfolders/{cid}.
    let v = api.get(&format!("me/contactfolders/{vendors}")).await;
    v.expect(200, None);
    assert_eq!(v.json()["ParentFolderId"], fin.as_str());
    assert_eq!(v.json()["WellKnownName"], Value::Null);
    api.get(&format!("me/contactfolders/{fin}/childfolders/{vendors}"))
        .await
        .expect(200, None);
    api.get(&format!("me/contactfolders/{def}/childfolders/{vendors}"))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    let kids = api
        .get(&format!("me/contactfolders/{vendors}/childfolders"))
        .await
        .json();
    assert_eq!(kids["value"], json!([]));
    api.get("me/contactfolders/nope")
        .await
        .expect(404, Some("ErrorItemNotFound"));
    // A folder's @odata.id is routed.
    let fin_entity = api.get(&format!("me/contactfolders/{fin}")).await.json();
    let routed = api.get(fin_entity["@odata.id"].as_str().unwrap()).await;
    routed.expect(200, None);
    assert_eq!(routed.json()["Id"], fin.as_str());
    // $select on a single folder.
    let s = api
        .get(&format!("me/contactfolders/{fin}?$select=DisplayName"))
        .await
        .json();
    assert_eq!(s["DisplayName"], "Finance");
    assert!(s.get("ParentFolderId").is_none());
    // Writes are refused with 405.
    for m in ["PATCH", "DELETE"] {
        api.send(Req::new(m, &format!("me/contactfolders/{fin}")).json(&json!({})))
            .await
            .expect(405, Some("ErrorInvalidRequest"));
    }
    api.send(Req::new("POST", "me/contactfolders").json(&json!({"DisplayName": "x"})))
        .await
        .expect(405, Some("ErrorInvalidRequest"));
}

async fn put_photo(api: &Api, id: &str, ct: &str, bytes: Vec<u8>) -> common::Resp {
    api.send(
        Req::new("PUT", &format!("me/contacts/{}/photo/$value", enc(id)))
            .header("Content-Type", ct)
            .bytes(bytes),
    )
    .await
}

#[tokio::test]
async fn photo_set_get_meta_and_versioning() {
    let api = Api::start().await;
    let c = api.create(person("Pho", "To")).await;
    let id = id_of(&c);
    let p = format!("me/contacts/{}/photo", enc(&id));
    api.get(&p).await.expect(404, Some("ErrorItemNotFound"));
    api.get(&format!("{p}/$value"))
        .await
        .expect(404, Some("ErrorItemNotFound"));
    let img = jpeg(31, 17);
    put_photo(&api, &id, "image/jpeg", img.clone())
        .await
        .expect(200, None);
    let v = api.get(&format!("{p}/$value")).await;
    v.expect(200, None);
    assert_eq!(v.header("content-type"), Some("image/jpeg"));
    assert_eq!(v.body.as_ref(), img.as_slice());
    let m = api.get(&p).await.json();
    assert_eq!(m["@odata.mediaContentType"], "image/jpeg");
    assert_eq!(m["Id"], "31X17");
    assert_eq!(
        (m["Width"].clone(), m["Height"].clone()),
        (json!(31), json!(17))
    );
    let after = api.get(&format!("me/contacts/{}", enc(&id))).await.json();
    assert_ne!(after["ChangeKey"], c["ChangeKey"]);
    assert!(after["LastModifiedDateTime"].as_str() > c["LastModifiedDateTime"].as_str());
    // Replace with a PNG sent as image/jpeg (sniffed), via PATCH.
    let pic = png(5, 6);
    let r = api
        .send(
            Req::new("PATCH", &format!("{p}/$value"))
                .header("Content-Type", "image/jpg")
                .bytes(pic.clone()),
        )
        .await;
    r.expect(200, None);
    let v = api.get(&format!("{p}/$value")).await;
    assert_eq!(v.header("content-type"), Some("image/png"));
    assert_eq!(v.body.as_ref(), pic.as_slice());
    assert_eq!(api.get(&p).await.json()["Id"], "5X6");
    // DELETE is 405.
    api.send(Req::new("DELETE", &format!("{p}/$value")))
        .await
        .expect(405, Some("ErrorInvalidRequest"));
}

#[tokio::test]
async fn bad_photos_keep_the_old_one() {
    let api = Api::start().await;
    let c = api.create(person("Bad", "Photo")).await;
    let id = id_of(&c);
    let p = format!("me/contacts/{}/photo", enc(&id));
    let good = png(3, 3);
    put_photo(&api, &id, "image/png", good.clone())
        .await
        .expect(200, None);
    put_photo(&api, &id, "image/jpeg", Vec::new())
        .await
        .expect(400, Some("ErrorInvalidRequest"));
    put_photo(&api, &id, "image/jpeg", b"not an image at all".to_vec())
        .await
        .expect(400, Some("ErrorInvalidRequest"));
    let r = put_photo(&api, &id, "application/octet-stream", jpeg(2, 2)).await;
    assert!(r.status == 415 || r.status == 400);
    let r = put_photo(&api, &id, "text/plain", jpeg(2, 2)).await;
    r.expect(415, Some("ErrorUnsupportedMediaType"));
    let mut big = jpeg(2, 2);
    big.resize(4_194_305, 0);
    put_photo(&api, &id, "image/jpeg", big)
        .await
        .expect(413, Some("ErrorRequestEntityTooLarge"));
    assert_eq!(
        api.get(&format!("{p}/$value")).await.body.as_ref(),
        good.as_slice()
    );
    // If-Match works on photo writes.
    let r = api
        .send(
            Req::new("PUT", &format!("{p}/$value"))
                .header("Content-Type", "image/png")
                .header("If-Match", "W/\"stale\"")
                .bytes(png(9, 9)),
        )
        .await;
    r.expect(412, Some("ErrorIrresolvableConflict"));
    assert_eq!(api.get(&p).await.json()["Id"], "3X3");
    // Missing contact.
    put_photo(&api, "nope", "image/png", good)
        .await
        .expect(404, Some("ErrorItemNotFound"));
}
