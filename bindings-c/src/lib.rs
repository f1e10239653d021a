//! C ABI for the imds client (being written).
