"""Calibrated confidence on every label, and the measured quality of each label.

- ``doc_theme_rows`` gains ``confidence`` (calibrated P(theme present)) and
  ``stance_confidence`` (calibrated probability of the stance given); ``doc_sentiment_rows``
  gains ``confidence`` (calibrated probability of the label). NULL where the model that
  gave the label is not calibrated (VADER, rule-detected themes, models trained before
  issue 12). The views ``doc_themes``, ``doc_theme_scores`` and ``doc_sentiment`` gain them.
- ``label_quality``: per model run and label, the precision measured on real blog text
  (cross-validated, grouped by page) with its bootstrap 95% interval, written by classify
  from the model cards. ``quotes`` reads it to use only labels good enough to quote.
"""

VERSION = 13
NAME = "label_confidence"

SQL = """
ALTER TABLE doc_theme_rows ADD COLUMN confidence DOUBLE;
ALTER TABLE doc_theme_rows ADD COLUMN stance_confidence DOUBLE;
ALTER TABLE doc_sentiment_rows ADD COLUMN confidence DOUBLE;

CREATE TABLE label_quality_rows (
    model_run_id VARCHAR NOT NULL,      -- the model folder's run id (classify_runs.theme_model / stance_model / sentiment_model)
    label_kind VARCHAR NOT NULL,        -- theme | stance | sentiment
    label VARCHAR NOT NULL,             -- theme name; '_all' for stance pooled over themes; 'sentiment'
    value VARCHAR NOT NULL,             -- present (themes), FAVOR/AGAINST/NONE, NEGATIVE/NEUTRAL/POSITIVE
    precision DOUBLE,                   -- calibrated precision on real text at the shipped thresholds
    ci_low DOUBLE,
    ci_high DOUBLE,
    recall DOUBLE,
    n_predicted INTEGER,                -- how many real units were given this label (precision's denominator)
    support INTEGER,                    -- how many real units carry it in the gold
    confidence_for_precision_80 DOUBLE, -- the lowest calibrated confidence at which this label's precision on real text is >= 0.8 (NULL: none)
    evaluated_on VARCHAR NOT NULL,      -- which real set (e.g. real_dev, seeds)
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (model_run_id, label_kind, label, value)
);

CREATE OR REPLACE VIEW doc_themes AS
SELECT run_id, doc_id, theme, score, stance, stance_score, method, stance_method, confidence, stance_confidence
FROM doc_theme_rows WHERE present;

CREATE OR REPLACE VIEW doc_theme_scores AS
SELECT run_id, doc_id, theme, score, present, method, confidence FROM doc_theme_rows;

CREATE OR REPLACE VIEW doc_sentiment AS
SELECT run_id, doc_id, label, score, method, confidence FROM doc_sentiment_rows WHERE is_default;

CREATE VIEW label_quality AS
SELECT model_run_id, label_kind, label, value, precision, ci_low, ci_high, recall, n_predicted, support,
       confidence_for_precision_80, evaluated_on, created_at
FROM label_quality_rows;
"""


def up(conn) -> None:
    conn.execute(SQL)
