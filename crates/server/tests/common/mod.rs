//! Shared helpers of the HTTP tests: a server on 127.0.0.1:0, a client, requests.
#![allow(dead_code)]

use bytes::Bytes;
use contactspec_server::{Fault, FaultSet, RunningServer, ServerConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// A started server and a client for it.
pub struct Api {
    pub server: RunningServer,
    pub base: String,
    pub client: reqwest::Client,
}

/// One answer, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    /// The body as JSON (panics with the body text when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an error body.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {}", String::from_utf8_lossy(&self.body)))
            .to_string()
    }

    /// Asserts the status and, for errors, the §9 shape and code.
    #[track_caller]
    pub fn expect(&self, status: u16, code: Option<&str>) -> &Resp {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        if let Some(code) = code {
            assert_eq!(self.code(), code);
            assert!(
                !self.json()["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .is_empty()
            );
            assert!(
                self.header("content-type")
                    .unwrap_or("")
                    .starts_with("application/json")
            );
        }
        self
    }
}

/// A request under construction.
pub struct Req {
    pub method: reqwest::Method,
    pub path: String,
    pub token: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Req {
        Req {
            method: reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            path: path.to_string(),
            token: Some("token-a".into()),
            headers: Vec::new(),
            body: None,
        }
    }
    pub fn token(mut self, t: Option<&str>) -> Req {
        self.token = t.map(str::to_string);
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Req {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn json(mut self, v: &Value) -> Req {
        self.body = Some(v.to_string().into_bytes());
        self.header("Content-Type", "application/json")
    }
    pub fn bytes(mut self, b: impl Into<Vec<u8>>) -> Req {
        self.body = Some(b.into());
        self
    }
}

impl Api {
    /// A faultless server with the default tokens.
    pub async fn start() -> Api {
        Api::with_config(ServerConfig::default()).await
    }

    /// A server with these faults.
    pub async fn with_faults(faults: &[Fault]) -> Api {
        Api::with_config(ServerConfig {
            faults: faults.iter().copied().collect::<FaultSet>(),
            ..ServerConfig::default()
        })
        .await
    }

    pub async fn with_config(config: ServerConfig) -> Api {
        let server = contactspec_server::start(config)
            .await
            .expect("server starts");
        let base = server.base_url();
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .unwrap();
        Api {
            server,
            base,
            client,
        }
    }

    /// `{base}/{path}`, or `path` itself when it is absolute.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}/{}", self.base, path)
        }
    }

    pub async fn send(&self, req: Req) -> Resp {
        let mut b = self.client.request(req.method, self.url(&req.path));
        if let Some(t) = &req.token {
            b = b.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        if let Some(body) = req.body {
            b = b.body(body);
        }
        let res = b.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.bytes().await.expect("body read");
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Req::new("GET", path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Req::new("POST", path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(Req::new("PATCH", path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Req::new("DELETE", path)).await
    }

    /// Creates a contact in the default folder; returns it.
    pub async fn create(&self, body: Value) -> Value {
        let r = self.post("me/contacts", body).await;
        r.expect(201, None);
        r.json()
    }

    /// The folders of user A: (default id, Finance id, Vendors id).
    pub async fn folders(&self) -> (String, String, String) {
        let top = self.get("me/contactfolders").await.json();
        let list = top["value"].as_array().unwrap();
        let id_of = |name: &str| {
            list.iter()
                .find(|f| f["DisplayName"] == name)
                .map(|f| f["Id"].as_str().unwrap().to_string())
                .unwrap()
        };
        let (def, fin) = (id_of("Contacts"), id_of("Finance"));
        let kids = self
            .get(&format!("me/contactfolders/{fin}/childfolders"))
            .await
            .json();
        let vendors = kids["value"][0]["Id"].as_str().unwrap().to_string();
        (def, fin, vendors)
    }
}

/// Percent-encodes an id for a path (everything outside unreserved and `=`).
pub fn enc(id: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'=');
    percent_encoding::utf8_percent_encode(id, SET).to_string()
}

/// The `Id` of a contact JSON.
pub fn id_of(v: &Value) -> String {
    v["Id"].as_str().expect("Id").to_string()
}

/// A complete baseline JPEG of the given size.
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, 80);
    enc.encode(
        &vec![200u8; width as usize * height as usize * 3],
        width,
        height,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

/// A complete PNG of the given size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&vec![7u8; (width * height * 3) as usize])
            .unwrap();
    }
    out
}

/// A small contact body with a marker.
pub fn person(given: &str, surname: &str) -> Value {
    json!({ "GivenName": given, "Surname": surname })
}
