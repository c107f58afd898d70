//! The `skjold watch` engine: passive monitoring of OT/IoT traffic from captures or a live
//! interface. Packets flow capture → decode → defragment → flow table → TCP reassembly →
//! protocol detection → application-layer state → EVE events, asset inventory and summary.
//! See ARCHITECTURE.md at the workspace root.

pub mod app;
pub mod assets;
mod detect;
pub mod engine;
pub mod flow;
pub mod json;
pub mod output;
mod worker;

pub use app::AppProto;
pub use detect::AlertLog;
#[cfg(feature = "live")]
pub use engine::run_live;
pub use engine::{
    run_bytes, run_bytes_with, run_files, Config, NoProgress, Progress, RunResult, WatchError,
};
pub use output::LogMask;
