//! `ansinh serve [--bind 127.0.0.1:8080]`.

use super::{CliError, CliResult, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port and prints it).
    #[arg(long, default_value = crate::config::DEFAULT_BIND)]
    bind: String,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    serve(context, &args.bind).await
}

/// Serves until interrupted; an address that cannot be listened on is
/// refused with the address and what to do.
pub async fn serve(context: &Context, bind: &str) -> CliResult {
    let state = crate::http::AppState::for_database(context.store.clone(), &context.database_url);
    crate::http::serve(state, bind)
        .await
        .map_err(|error| listen_error(bind, &error))
}

fn listen_error(bind: &str, error: &std::io::Error) -> CliError {
    let (vi, en) = match error.kind() {
        std::io::ErrorKind::AddrInUse => (
            "đã có chương trình khác (có thể là một ansinh khác) đang dùng địa chỉ này; hãy dừng chương trình đó hoặc chọn địa chỉ khác, ví dụ --bind 127.0.0.1:8081",
            "another program (perhaps another ansinh) already listens there; stop it, or choose another address, e.g. --bind 127.0.0.1:8081",
        ),
        _ => (
            "hãy chọn địa chỉ khác bằng --bind HOST:PORT (cổng 0: hệ thống tự chọn)",
            "choose another address with --bind HOST:PORT (port 0 lets the system pick one)",
        ),
    };
    CliError::Refused(format!(
        "không mở được địa chỉ {bind} ({error}): {vi} / cannot listen on {bind} ({error}): {en}"
    ))
}
