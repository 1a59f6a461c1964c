"""What the app computes from aligned streams and model outputs: load metrics per player and
period (:mod:`footcoach.analysis.metrics`), events from window predictions. numpy only."""
