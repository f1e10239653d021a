//! The `imds._imds` extension module: the Python skin over the `imds` core.
//!
//! The public Python API is the `imds` package (`python/imds/`), which re-exports what this
//! module defines. Each concern of the bridge lives in its own small module:
//!
//! - [`settings`]: `Client(...)` keyword arguments to a core [`imds::Builder`];
//! - [`bridge`]: running a core call, blocking (GIL released, Ctrl-C honoured) or as an
//!   asyncio future (cancellable);
//! - [`errors`]: core error kinds to the `imds.ImdsError` subclasses;
//! - [`models`]: frozen, typed result objects;
//! - [`audit`]: core audit events to the `imds.audit` logger;
//! - [`interpreter`]: how the core's worker threads enter Python, and stay out once it
//!   shuts down;
//! - [`client`]: the `Client` class and the private core behind `imds.AsyncClient`.
//!
//! No step of the pipeline is re-implemented here: validation, retries, caching, token
//! handling and fork safety all live in the core.

#![forbid(unsafe_code)]

mod audit;
mod bridge;
mod client;
mod errors;
mod interpreter;
mod models;
mod settings;

use pyo3::prelude::*;

#[pymodule]
fn _imds(m: &Bound<'_, PyModule>) -> PyResult<()> {
    interpreter::install(m.py())?;
    m.add("__version__", imds::VERSION)?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::AsyncCore>()?;
    m.add_class::<models::IdentityDocument>()?;
    m.add_class::<models::Credentials>()?;
    m.add_class::<models::IamInfo>()?;
    m.add_class::<models::NetworkInterface>()?;
    m.add_class::<models::SpotInstanceAction>()?;
    m.add_class::<models::RebalanceRecommendation>()?;
    m.add_class::<models::ScheduledEvent>()?;
    m.add_function(wrap_pyfunction!(errors::error_kinds, m)?)?;
    Ok(())
}
