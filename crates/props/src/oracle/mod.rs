//! Pure functions written from SPEC.md, shared by the generators and the checks:
//! flag validity and storage, CT-ECHO comparison, Birthday normalisation,
//! DisplayName computation, `$filter` evaluation and `$orderby` order.

pub mod echo;
pub mod filter;
pub mod flag;
pub mod order;
pub mod values;
pub mod zones;
