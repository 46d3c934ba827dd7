//! Structured logs: JSON lines on stderr, level from RUST_LOG (default info).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,ansinh=info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Times the steps of one operation and logs each at debug level under the
/// `ansinh::timing` target (`RUST_LOG=ansinh::timing=debug`), so a slow
/// import can be taken apart without a profiler.
pub struct Laps {
    operation: &'static str,
    last: std::time::Instant,
}

impl Laps {
    pub fn start(operation: &'static str) -> Laps {
        Laps {
            operation,
            last: std::time::Instant::now(),
        }
    }

    pub fn lap(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        tracing::debug!(
            target: "ansinh::timing",
            operation = self.operation,
            step,
            ms = (now - self.last).as_secs_f64() * 1000.0
        );
        self.last = now;
    }
}

/// Peak resident memory of this process (VmHWM), in MiB; 0 where the
/// system does not say (not Linux).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}
