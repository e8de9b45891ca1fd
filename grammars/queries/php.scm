; Chunk query for PHP. Convention: grammars/README.md.

(function_definition name: (name) @name) @chunk.function
(method_declaration name: (name) @name) @chunk.method
(class_declaration name: (name) @name) @chunk.class
(interface_declaration name: (name) @name) @chunk.interface
(trait_declaration name: (name) @name) @chunk.trait
(enum_declaration name: (name) @name) @chunk.enum
