import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // `next dev` would otherwise write an AGENTS.md into this folder on every start.
  agentRules: false,
  experimental: { agentUpgrade: false },
}

export default nextConfig
