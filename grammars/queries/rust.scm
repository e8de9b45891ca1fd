; Chunk query for Rust. Convention: grammars/README.md.
; An impl is named after its type (`impl Display for Foo` → Foo), so its methods get that type as container.

(function_item name: (identifier) @name) @chunk.function
(function_signature_item name: (identifier) @name) @chunk.function
(struct_item name: (type_identifier) @name) @chunk.struct
(union_item name: (type_identifier) @name) @chunk.struct
(enum_item name: (type_identifier) @name) @chunk.enum
(trait_item name: (type_identifier) @name) @chunk.trait
(type_item name: (type_identifier) @name) @chunk.type
(mod_item name: (identifier) @name) @chunk.module
(macro_definition name: (identifier) @name) @chunk.function

(impl_item
  type: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
    (reference_type type: (type_identifier) @name)
  ]) @chunk.impl
(impl_item type: (_) @name) @chunk.impl
