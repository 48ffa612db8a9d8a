use tenure_store::StoreError;

/// Why a use case refused or failed. Each refusal carries a machine code and a sentence; the
/// HTTP layer maps the variant to a status. A refusal always means nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request names something that does not exist (404).
    #[error("{entity} `{id}` does not exist")]
    NotFound { entity: &'static str, id: String },
    /// The request itself is wrong: a bad field, a value the catalog does not offer (422).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The request is well formed but the current state does not allow it (409).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// The account cannot pay (402).
    #[error("{message}")]
    PaymentRequired { code: &'static str, message: String },
    /// Another request with the same idempotency key is still running (409, never kept under
    /// the key: the same request sent again later gets its outcome).
    #[error("{message}")]
    StillRunning { code: &'static str, message: String },
    /// The payment provider did not answer: the outcome is unknown until it is looked up
    /// (503; the same request with the same idempotency key learns it).
    #[error("{message}")]
    ProviderUnanswered { message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl EngineError {
    /// A refusal of one item of a batch, its message led by the instance it is about; other
    /// errors as they are.
    pub(crate) fn naming_instance(self, instance_id: &str) -> EngineError {
        let named = |message: String| format!("instance {instance_id}: {message}");
        match self {
            EngineError::Invalid { code, message } => EngineError::Invalid {
                code,
                message: named(message),
            },
            EngineError::Refused { code, message } => EngineError::Refused {
                code,
                message: named(message),
            },
            EngineError::PaymentRequired { code, message } => EngineError::PaymentRequired {
                code,
                message: named(message),
            },
            other => other,
        }
    }

    pub fn invalid(code: &'static str, message: impl ToString) -> EngineError {
        EngineError::Invalid {
            code,
            message: message.to_string(),
        }
    }

    pub fn refused(code: &'static str, message: impl ToString) -> EngineError {
        EngineError::Refused {
            code,
            message: message.to_string(),
        }
    }

    pub fn not_found(entity: &'static str, id: &str) -> EngineError {
        EngineError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            EngineError::NotFound { .. } => "not_found",
            EngineError::Invalid { code, .. }
            | EngineError::Refused { code, .. }
            | EngineError::PaymentRequired { code, .. } => code,
            EngineError::ProviderUnanswered { .. } => "payment_provider_unavailable",
            EngineError::StillRunning { code, .. } => code,
            EngineError::Store(_) => "internal_error",
        }
    }
}

impl From<tenure_store::DatabaseError> for EngineError {
    fn from(error: tenure_store::DatabaseError) -> Self {
        EngineError::Store(StoreError::Database(error))
    }
}
