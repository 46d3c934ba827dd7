//! `ansinh export --format ledger|beancount|csv [--as-of YYYY-MM-DD] [--output FILE]`.

use super::{CliResult, Context};
use crate::report::export::{self, Format};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum)]
    format: Format,
    #[arg(long, value_parser = crate::domain::date::parse_date)]
    as_of: Option<NaiveDate>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let mut out: Box<dyn std::io::Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(PipeWriter::new(std::io::BufWriter::new(std::io::stdout()))),
    };
    export::export(
        context.store.as_ref(),
        args.format,
        args.as_of,
        out.as_mut(),
    )
    .await?;
    out.flush()?;
    Ok(())
}

/// Standard output that a reader may close early (`ansinh export … | head`):
/// writes after that are dropped, and the flush at the end reports the
/// closed pipe, which ends the command quietly.
struct PipeWriter<W> {
    inner: W,
    closed: bool,
}

impl<W> PipeWriter<W> {
    fn new(inner: W) -> PipeWriter<W> {
        PipeWriter {
            inner,
            closed: false,
        }
    }

    fn closed_pipe() -> std::io::Error {
        std::io::Error::from(std::io::ErrorKind::BrokenPipe)
    }
}

impl<W: std::io::Write> std::io::Write for PipeWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(bytes.len());
        }
        match self.inner.write(bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(bytes.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Err(Self::closed_pipe());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Err(Self::closed_pipe())
            }
            other => other,
        }
    }
}
