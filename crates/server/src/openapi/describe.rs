//! What the OpenAPI document says of an operation, read from its handler's signature: a
//! `Command<T>` argument is a JSON body of type `T`, `Params<T>` the query parameters of `T`,
//! and an `Answered<T, S>` result a `T` answered with `S`'s status. The route table holds the
//! handlers, so the document cannot drift from what the handlers take and give.

use std::future::Future;

use axum::extract::{Path, State};
use axum::response::Html;
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::api::{AnswerStatus, Answered, Command, Params, Text};
use crate::error::ApiError;

/// Two generators: request types are described as they deserialize (unknown fields refused,
/// aliases accepted), answers as they serialize.
pub struct Generators {
    pub request: SchemaGenerator,
    pub answer: SchemaGenerator,
}

/// What one operation takes and gives.
#[derive(Default)]
pub struct Operation {
    pub body: Option<Schema>,
    pub query: Option<Schema>,
    /// The success status, its content type and the schema of its body.
    pub answer: Option<Success>,
}

pub struct Success {
    pub status: u16,
    pub content_type: &'static str,
    /// Another media type the same answer is given as, when the request's `Accept` asks.
    pub also_as: Option<&'static str>,
    pub schema: Schema,
}

/// What a handler's argument adds to its operation (most add nothing).
pub trait DescribeInput {
    fn describe(_operation: &mut Operation, _generators: &mut Generators) {}
}

impl<S> DescribeInput for State<S> {}
impl DescribeInput for crate::api::Accepts {}
/// Request headers a handler reads itself (`/metrics` reads the key that shows the fleet's figures).
impl DescribeInput for axum::http::HeaderMap {}
impl<T> DescribeInput for Path<T> {}

impl<T: JsonSchema> DescribeInput for Command<T> {
    fn describe(operation: &mut Operation, generators: &mut Generators) {
        operation.body = Some(generators.request.subschema_for::<T>());
    }
}

impl<T: JsonSchema> DescribeInput for Params<T> {
    fn describe(operation: &mut Operation, generators: &mut Generators) {
        // Inlined: query parameters are listed one by one, not referenced.
        operation.query = Some(generators.request.root_schema_for::<T>());
    }
}

/// What a handler's result says of its success answer.
pub trait DescribeOutput {
    fn describe(operation: &mut Operation, generators: &mut Generators);
}

impl<T: JsonSchema, S: AnswerStatus> DescribeOutput for Answered<T, S> {
    fn describe(operation: &mut Operation, generators: &mut Generators) {
        operation.answer = Some(Success {
            status: S::STATUS.as_u16(),
            content_type: "application/json",
            also_as: None,
            schema: generators.answer.subschema_for::<T>(),
        });
    }
}

impl DescribeOutput for Text {
    fn describe(operation: &mut Operation, _generators: &mut Generators) {
        operation.answer = Some(Success {
            status: 200,
            content_type: "text/plain",
            also_as: None,
            schema: schemars::json_schema!({ "type": "string" }),
        });
    }
}

impl DescribeOutput for crate::api::Pdf {
    fn describe(operation: &mut Operation, _generators: &mut Generators) {
        operation.answer = Some(Success {
            status: 200,
            content_type: "application/pdf",
            // Bytes to a client that asks for them by `Accept` (a generated client reads a
            // binary answer so): see `crate::api::Pdf`.
            also_as: Some("application/octet-stream"),
            schema: schemars::json_schema!({ "type": "string", "format": "binary" }),
        });
    }
}

impl DescribeOutput for Html<String> {
    fn describe(operation: &mut Operation, _generators: &mut Generators) {
        operation.answer = Some(Success {
            status: 200,
            content_type: "text/html",
            also_as: None,
            schema: schemars::json_schema!({ "type": "string" }),
        });
    }
}

impl<R: DescribeOutput> DescribeOutput for Result<R, ApiError> {
    fn describe(operation: &mut Operation, generators: &mut Generators) {
        R::describe(operation, generators)
    }
}

/// A handler whose arguments and result describe its operation.
pub trait Described<Arguments> {
    fn describe(operation: &mut Operation, generators: &mut Generators);
}

macro_rules! described {
    ($($argument:ident),*) => {
        impl<F, Fut, Out, $($argument,)*> Described<($($argument,)*)> for F
        where
            F: FnOnce($($argument),*) -> Fut,
            Fut: Future<Output = Out>,
            Out: DescribeOutput,
            $($argument: DescribeInput,)*
        {
            fn describe(operation: &mut Operation, generators: &mut Generators) {
                $($argument::describe(operation, generators);)*
                Out::describe(operation, generators);
            }
        }
    };
}

described!();
described!(A1);
described!(A1, A2);
described!(A1, A2, A3);
described!(A1, A2, A3, A4);
