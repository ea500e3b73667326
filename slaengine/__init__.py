"""slaengine: support tickets with SLA clocks that know business hours."""
