; Chunk query for Swift. Convention: grammars/README.md.
; class, struct, enum, extension and actor are all class_declaration, told apart by their keyword.

(class_declaration "struct" name: (type_identifier) @name) @chunk.struct
(class_declaration "enum" name: (type_identifier) @name) @chunk.enum
(class_declaration "extension" name: (user_type (type_identifier) @name)) @chunk.impl
(class_declaration name: (type_identifier) @name) @chunk.class
(protocol_declaration name: (type_identifier) @name) @chunk.interface
(function_declaration name: (simple_identifier) @name) @chunk.function
(function_declaration name: "init" @name) @chunk.method
(deinit_declaration "deinit" @name) @chunk.method
(protocol_function_declaration name: (simple_identifier) @name) @chunk.method
(subscript_declaration) @chunk.method
(typealias_declaration name: (type_identifier) @name) @chunk.type
