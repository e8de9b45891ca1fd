; Chunk query for Ruby. Convention: grammars/README.md.

(method name: (_) @name) @chunk.method
(singleton_method name: (_) @name) @chunk.method
(class name: (_) @name) @chunk.class
(singleton_class value: (_) @name) @chunk.class
(module name: (_) @name) @chunk.module
