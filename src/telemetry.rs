//! Logs on stderr: human-readable lines on a terminal, JSON lines when asked
//! (`ANSINH_LOG_FORMAT=json`) or when stderr is not a terminal (a service's
//! log collector, a file). Level from `RUST_LOG`; the default logs one line
//! per HTTP request only in JSON, so that a terminal (the demo's) is not
//! flooded while a service's log keeps every request.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `ANSINH_LOG_FORMAT` (`text` or `json`) when set to one of them, else text
/// on a terminal and JSON elsewhere.
pub fn log_format(asked: Option<&str>, stderr_is_terminal: bool) -> LogFormat {
    match asked.map(|a| a.trim().to_ascii_lowercase()).as_deref() {
        Some("json") => LogFormat::Json,
        Some("text") => LogFormat::Text,
        _ if stderr_is_terminal => LogFormat::Text,
        _ => LogFormat::Json,
    }
}

/// The filter when `RUST_LOG` is not set: HTTP requests are logged (at
/// info, by `tower_http`) in JSON only.
pub fn default_filter(format: LogFormat) -> &'static str {
    match format {
        LogFormat::Json => "warn,ansinh=info,tower_http=info",
        LogFormat::Text => "warn,ansinh=info,tower_http=warn",
    }
}

pub fn init() {
    let asked = std::env::var("ANSINH_LOG_FORMAT").ok();
    let format = log_format(asked.as_deref(), std::io::stderr().is_terminal());
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(format)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
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

/// Starts [`peak_rss_mib`] again from the memory resident now (Linux:
/// `5` into `/proc/self/clear_refs`), so that one phase's peak can be read
/// on its own; elsewhere the peak keeps counting from the start.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_starts_again_after_a_reset() {
        if peak_rss_mib() == 0.0 {
            return; // Not Linux: no peak to read.
        }
        let block = vec![1u8; 256 << 20];
        let with_block = peak_rss_mib();
        drop(std::hint::black_box(block));
        reset_peak_rss();
        let after = peak_rss_mib();
        assert!(
            with_block - after > 200.0,
            "{with_block} MiB, then {after} MiB"
        );
    }

    #[test]
    fn text_on_a_terminal_json_elsewhere_or_when_asked() {
        assert_eq!(log_format(None, true), LogFormat::Text);
        assert_eq!(log_format(None, false), LogFormat::Json);
        assert_eq!(log_format(Some("json"), true), LogFormat::Json);
        assert_eq!(log_format(Some(" JSON "), true), LogFormat::Json);
        assert_eq!(log_format(Some("text"), false), LogFormat::Text);
        assert_eq!(log_format(Some("other"), false), LogFormat::Json);
        assert!(default_filter(LogFormat::Json).contains("tower_http=info"));
        assert!(default_filter(LogFormat::Text).contains("tower_http=warn"));
    }
}
