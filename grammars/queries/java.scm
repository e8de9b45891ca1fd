; Chunk query for Java. Convention: grammars/README.md.

(class_declaration name: (identifier) @name) @chunk.class
(record_declaration name: (identifier) @name) @chunk.class
(interface_declaration name: (identifier) @name) @chunk.interface
(annotation_type_declaration name: (identifier) @name) @chunk.interface
(enum_declaration name: (identifier) @name) @chunk.enum

(method_declaration name: (identifier) @name) @chunk.method
(constructor_declaration name: (identifier) @name) @chunk.method
(compact_constructor_declaration name: (identifier) @name) @chunk.method
