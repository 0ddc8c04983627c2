//! [`ServerConfig`]: where the server listens, which tokens it knows, which faults it has.

use crate::faults::FaultSet;
use std::net::{Ipv4Addr, SocketAddr};

/// How to start a reference server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The bearer tokens it accepts; each gets its own mailbox (AUTH-ISOLATION).
    pub tokens: Vec<String>,
    /// The faults to inject (empty: the correct server).
    pub faults: FaultSet,
}

impl Default for ServerConfig {
    /// 127.0.0.1:0, tokens `token-a` and `token-b`, no faults (SPEC.md §11).
    fn default() -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tokens: vec!["token-a".to_string(), "token-b".to_string()],
            faults: FaultSet::none(),
        }
    }
}
