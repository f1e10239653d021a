//! Python extension for the imds client (being written).
