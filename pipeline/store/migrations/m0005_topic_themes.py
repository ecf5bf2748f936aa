"""Topic by theme: how the detected themes (and stances) spread over each topic."""

VERSION = 5
NAME = "topic_themes"

SQL = """
CREATE VIEW topic_themes AS
WITH sizes AS (
    SELECT run_id, topic_id, count(*) AS n FROM doc_topic_rows GROUP BY run_id, topic_id
)
SELECT t.run_id, t.topic_id, th.theme,
       count(*) AS count,
       count(*) / any_value(s.n) AS share,
       count(*) FILTER (th.stance = 'FAVOR') AS favor,
       count(*) FILTER (th.stance = 'AGAINST') AS against,
       count(*) FILTER (th.stance = 'NONE' OR th.stance IS NULL) AS no_stance,
       th.run_id AS classify_run_id
FROM doc_topic_rows t
JOIN doc_theme_rows th ON th.doc_id = t.doc_id AND th.present
JOIN sizes s ON s.run_id = t.run_id AND s.topic_id = t.topic_id
GROUP BY t.run_id, t.topic_id, th.theme, th.run_id
"""


def up(conn) -> None:
    conn.execute(SQL)
