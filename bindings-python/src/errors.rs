//! Core errors to Python exceptions.
//!
//! The exception classes are plain Python (`imds/_errors.py`), so that they can inherit
//! from the built-ins whose meaning they share (`ValueError`, `TimeoutError`, ...), which a
//! class made with PyO3's `create_exception!` cannot. This module only hands the core's
//! code, kind, status and message to `imds._errors._from_core`, which picks the class.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error.
pub(crate) fn to_py(py: Python<'_>, error: &imds::Error) -> PyErr {
    let factory = match FROM_CORE.import(py, "imds._errors", "_from_core") {
        Ok(factory) => factory,
        Err(import_error) => return import_error,
    };
    let kind = error.kind();
    match factory.call1((kind.code(), kind.name(), error.status(), error.message())) {
        Ok(exception) => PyErr::from_value(exception),
        Err(failure) => failure,
    }
}

/// An `InvalidInputError` raised by the bridge itself, for an argument the core never
/// sees in that form (a negative number of seconds, an out-of-range integer).
pub(crate) fn invalid_input(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_py(
        py,
        &imds::Error::new(imds::ErrorKind::InvalidInput, message.into()),
    )
}

/// The error for a call on a closed client.
pub(crate) fn closed(py: Python<'_>) -> PyErr {
    invalid_input(
        py,
        "this imds client is closed: create a new one (closing a client ends its calls and \
         forgets its token and credentials)",
    )
}

/// Every kind the core knows, as `(code, name, description)`, so the Python side can check
/// that each one has its exception class.
#[pyfunction]
pub(crate) fn error_kinds(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let kinds: Vec<(u32, &str, &str)> = imds::ErrorKind::ALL
        .iter()
        .map(|kind| (kind.code(), kind.name(), kind.description()))
        .collect();
    PyList::new(py, kinds)
}
