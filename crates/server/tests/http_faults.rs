//! Every core fault is observable over HTTP: a probe that passes against the correct
//! server fails against the server with that one fault (SUITE-KILLS relies on it).

mod common;

use common::{Api, Req, enc, id_of, jpeg, person, png};
use contactspec_server::Fault;
use serde_json::json;

/// Whether the server behaves correctly on the aspect `fault` breaks; `None` when this
/// file has no probe for it (faults of the collection and sync code are probed there).
async fn probe(api: &Api, fault: Fault) -> Option<bool> {
    let c = api.create(person("Probe", "Person")).await;
    let id = enc(&id_of(&c));
    let cp = format!("me/contacts/{id}");
    let ck = c["ChangeKey"].as_str().unwrap().to_string();
    let ok = match fault {
        Fault::NoOdataVersion => {
            api.get("me/contacts").await.header("odata-version") == Some("4.0")
        }
        Fault::NoRequestId => api.get("me/contacts").await.header("request-id").is_some(),
        Fault::MissingWwwAuthenticate => {
            let r = api.send(Req::new("GET", "me/contacts").token(None)).await;
            r.status == 401 && r.header("www-authenticate").is_some()
        }
        Fault::UnknownToken403 => {
            let r = api
                .send(Req::new("GET", "me/contacts").token(Some("token-zzz")))
                .await;
            r.status == 401
        }
        Fault::OtherUserReadable => {
            api.send(Req::new("GET", &cp).token(Some("token-b")))
                .await
                .status
                == 404
        }
        Fault::KeyFormRejected => api.get(&format!("me/contacts('{id}')")).await.status == 200,
        Fault::TrailingSlash404 => api.get(&format!("{cp}/")).await.status == 200,
        Fault::QueryOptionCaseSensitive => {
            api.get(&format!("{cp}?$Select=GivenName")).await.status == 200
        }
        Fault::MalformedJson500 => {
            let r = api
                .send(
                    Req::new("POST", "me/contacts")
                        .bytes(b"{".to_vec())
                        .header("Content-Type", "application/json"),
                )
                .await;
            r.status == 400
        }
        Fault::BodyLimitOffByOne => {
            let mut body = br#"{"PersonalNotes":""#.to_vec();
            body.resize(4_194_304 - 2, b'y');
            body.extend_from_slice(br#""}"#);
            let r = api
                .send(
                    Req::new("POST", "me/contacts")
                        .bytes(body)
                        .header("Content-Type", "application/json"),
                )
                .await;
            r.status == 201
        }
        Fault::ContentTypeIgnored => {
            let r = api
                .send(Req::new("POST", "me/contacts").bytes(b"{}".to_vec()))
                .await;
            r.status == 415
        }
        Fault::EtagUnquoted => c["@odata.etag"] == format!("W/\"{ck}\""),
        Fault::ChangekeyNotBumpedOnPatch => {
            api.patch(&cp, json!({"JobTitle": "new"})).await.json()["ChangeKey"] != ck.as_str()
        }
        Fault::PatchReplacesEntity => {
            api.patch(&cp, json!({"JobTitle": "x"})).await.json()["GivenName"] == "Probe"
        }
        Fault::NullIgnoredOnPatch => {
            api.patch(&cp, json!({"GivenName": null})).await.json()["GivenName"].is_null()
        }
        Fault::DisplaynameTwoSpaces => c["DisplayName"] == "Probe Person",
        Fault::DisplaynameRecomputedOnPatch => {
            api.patch(&cp, json!({"GivenName": "Other"})).await.json()["DisplayName"]
                == "Probe Person"
        }
        Fault::BirthdayKeepsOffset => {
            api.patch(&cp, json!({"Birthday": "1990-01-01T01:00:00+02:00"}))
                .await
                .json()["Birthday"]
                == "1989-12-31T23:00:00Z"
        }
        Fault::DeleteReturns200 => api.delete(&cp).await.status == 204,
        Fault::IfMatchIgnored => {
            api.send(Req::new("DELETE", &cp).header("If-Match", "W/\"stale\""))
                .await
                .status
                == 412
        }
        Fault::IfMatchStrongOnly => {
            let r = api
                .send(
                    Req::new("PATCH", &cp)
                        .header("If-Match", &format!("\"{ck}\""))
                        .json(&json!({"NickName": "n"})),
                )
                .await;
            r.status == 200
        }
        Fault::ChangekeyBodyIgnored => {
            api.patch(&cp, json!({"ChangeKey": "stale", "NickName": "n"}))
                .await
                .status
                == 409
        }
        Fault::ReadonlyIgnored => api.post("me/contacts", json!({"Id": "x"})).await.status == 400,
        Fault::UnknownPropertyIgnored => {
            api.post("me/contacts", json!({"givenName": "x"}))
                .await
                .status
                == 400
        }
        Fault::PartialWriteOnError => {
            let bad = json!({"Surname": "partialmarker", "Flag": {"FlagStatus": "NotFlagged",
                "StartDateTime": {"DateTime": "2018-01-01T00:00:00", "TimeZone": "UTC"}}});
            let r = api.post("me/contacts", bad).await;
            let list = api.get("me/contacts?$top=100").await.json();
            r.status == 400
                && list["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|x| x["Surname"] != "partialmarker")
        }
        Fault::UnsetCollectionsNull => api.get(&cp).await.json()["Categories"] == json!([]),
        Fault::FolderWriteAllowed => {
            let (def, _, _) = api.folders().await;
            api.send(Req::new("PATCH", &format!("me/contactfolders/{def}")).json(&json!({})))
                .await
                .status
                == 405
        }
        Fault::WrongWellKnownName => {
            let top = api.get("me/contactfolders").await.json();
            top["value"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["WellKnownName"] == "contacts")
                .count()
                == 1
        }
        Fault::PhotoNoChangekeyBump => {
            let r = api
                .send(
                    Req::new("PUT", &format!("{cp}/photo/$value"))
                        .header("Content-Type", "image/jpeg")
                        .bytes(jpeg(4, 4)),
                )
                .await;
            r.status == 200 && api.get(&cp).await.json()["ChangeKey"] != ck.as_str()
        }
        Fault::PhotoSwappedDimensions => {
            api.send(
                Req::new("PUT", &format!("{cp}/photo/$value"))
                    .header("Content-Type", "image/jpeg")
                    .bytes(jpeg(31, 17)),
            )
            .await;
            let m = api.get(&format!("{cp}/photo")).await.json();
            m["Width"] == 31 && m["Height"] == 17 && m["Id"] == "31X17"
        }
        Fault::PhotoTypeFromHeader => {
            api.send(
                Req::new("PUT", &format!("{cp}/photo/$value"))
                    .header("Content-Type", "image/jpeg")
                    .bytes(png(3, 3)),
            )
            .await;
            api.get(&format!("{cp}/photo/$value"))
                .await
                .header("content-type")
                == Some("image/png")
        }
        Fault::PhotoDeleteAllowed => {
            api.send(Req::new("DELETE", &format!("{cp}/photo/$value")))
                .await
                .status
                == 405
        }
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    Some(ok)
}

#[tokio::test]
async fn each_core_fault_is_observable_and_the_correct_server_passes() {
    let correct = Api::start().await;
    let mut probed = 0;
    let mut failures: Vec<String> = Vec::new();
    for &fault in Fault::ALL {
        let Some(good) = probe(&correct, fault).await else {
            continue;
        };
        probed += 1;
        if !good {
            failures.push(format!(
                "{}: the correct server fails the probe",
                fault.name()
            ));
        }
        let faulty = Api::with_faults(&[fault]).await;
        if probe(&faulty, fault).await != Some(false) {
            failures.push(format!("{}: not observable", fault.name()));
        }
        faulty.server.shutdown().await;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(probed >= 30, "only {probed} faults probed");
}
