import { describeEngineContract } from '../../test/engine-contract'
import { createMemoryEngine, type MemoryEngine } from './memory'

const created: MemoryEngine[] = []

// One memory engine is every node: it is one process's store.
describeEngineContract('memory', {
  distributed: false,
  async nodes(count, options = {}) {
    const engine = createMemoryEngine(options)
    created.push(engine)
    return Array.from({ length: count }, () => engine)
  },
  async cleanup() {
    for (const engine of created.splice(0)) engine.close()
  },
})
