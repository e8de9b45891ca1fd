; Chunk query for Ruby. Convention: grammars/README.md.

(method name: (_) @name) @chunk.method
(singleton_method name: (_) @name) @chunk.method
(class name: (_) @name) @chunk.class
; No chunk for `class << self`: its methods are the class's own, as `def self.x` are.
(module name: (_) @name) @chunk.module

; Blocks with a name: describe '#add' do ... end, it 'adds' do ... end, RSpec.describe Invoice do ... end.
(call
  arguments: (argument_list . [(string (string_content) @name) (constant) @name (scope_resolution) @name])
  block: (do_block)) @chunk.function
