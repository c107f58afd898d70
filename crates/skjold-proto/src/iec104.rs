//! IEC 60870-5-104 (placeholder while being written).
