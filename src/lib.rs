pub mod lang;
pub mod figures;
