//! `contactspec serve`: runs the reference server until Ctrl-C.

use contactspec_server::{Fault, FaultSet, ServerConfig, UnknownFault};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

/// Flags of `contactspec serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// A bearer token the server accepts, each with its own mailbox (repeatable;
    /// default: token-a and token-b).
    #[arg(long = "token", value_name = "NAME")]
    pub tokens: Vec<String>,
    /// Inject a named fault (repeatable; `contactspec faults` lists them).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
}

/// The configuration these flags describe, or the unknown fault name.
pub fn config(args: &Args) -> Result<ServerConfig, UnknownFault> {
    let faults = FaultSet::from_names(args.faults.iter().map(String::as_str))?;
    let mut config = ServerConfig {
        addr: args.addr,
        faults,
        ..ServerConfig::default()
    };
    if !args.tokens.is_empty() {
        config.tokens = args.tokens.clone();
    }
    Ok(config)
}

/// Runs the sub-command.
pub fn main(args: Args) -> ExitCode {
    let config = match config(&args) {
        Ok(c) => c,
        Err(unknown) => {
            eprintln!("contactspec serve: {unknown}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("contactspec serve: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match contactspec_server::start(config.clone()).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("contactspec serve: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", server.base_url());
        let _ = std::io::stdout().flush();
        let tokens = config.tokens.join(", ");
        let faults: Vec<&str> = config.faults.iter().map(Fault::name).collect();
        eprintln!(
            "contactspec serve: tokens {tokens}; faults {}; Ctrl-C stops",
            if faults.is_empty() {
                "none".to_string()
            } else {
                faults.join(", ")
            }
        );
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("contactspec serve: cannot wait for Ctrl-C: {e}");
        }
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(tokens: &[&str], faults: &[&str]) -> Args {
        Args {
            addr: "127.0.0.1:0".parse().unwrap(),
            tokens: tokens.iter().map(|s| s.to_string()).collect(),
            faults: faults.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn flags_to_config() {
        let c = config(&args(&[], &[])).unwrap();
        assert_eq!(c.tokens, ["token-a", "token-b"]);
        assert!(c.faults.is_empty());
        let c = config(&args(&["x"], &["etag-unquoted"])).unwrap();
        assert_eq!(c.tokens, ["x"]);
        assert!(c.faults.contains(Fault::EtagUnquoted));
        assert_eq!(
            config(&args(&[], &["no-such-fault"])).map_err(|e| e.name),
            Err("no-such-fault".to_string())
        );
    }
}
