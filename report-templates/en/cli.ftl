# The command line's reports (report figures, report kpi). An admin may
# override any message in their own templates_dir/en/cli.ftl.
