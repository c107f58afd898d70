//! Errors of the library. Input errors name the file, the line (1-based; 0 when unknown) and,
//! where one is obvious, the fix, so the CLI can print them as one clear line and exit 2.

/// An error of skjold-model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is unreadable or invalid.
    #[error("{file}:{line}: {message}{}", fix.as_ref().map(|f| format!("; fix: {f}")).unwrap_or_default())]
    Invalid {
        /// File name as given.
        file: String,
        /// 1-based line, 0 when not known.
        line: usize,
        /// What is wrong.
        message: String,
        /// How to fix it, when known.
        fix: Option<String>,
    },
    /// A file could not be read or written.
    #[error("{file}: {source}")]
    Io {
        /// File name as given.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A bug: built-in data or a template failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// True when the error is about the user's input (exit code 2), false for internal errors.
    pub fn is_input(&self) -> bool {
        !matches!(self, Self::Internal(_))
    }

    pub(crate) fn invalid(
        file: &str,
        line: usize,
        message: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self::Invalid {
            file: file.to_owned(),
            line,
            message: message.into(),
            fix,
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
