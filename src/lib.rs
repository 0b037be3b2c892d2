pub mod lang;
pub mod model;
