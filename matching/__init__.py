"""Identity engine: block, compare, score, cluster source person records into beneficiaries.

Built on recordlinkage; settings are declarative YAML.
May import warehouse and schemas; never api, dags or hub.cli.
"""
