"""Identity engine: block, compare, score, cluster source person records into beneficiaries.

In memory: settings (YAML) -> prepare -> blocking -> comparators -> scoring/training (EM) -> clustering
(engine.link_dataframe). On the warehouse: pipeline (the LinkageRun: plan / score_partition / finalize, or
link), work (what a run plans), finalize, store (I/O), identity (stable ids), review (queue, decisions, undo), explain,
crosswalk_eval (scores against a truth table). May import warehouse, schemas and configuration;
never sandbox, api, dags or hub.
"""
