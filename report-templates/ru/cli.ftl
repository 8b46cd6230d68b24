# Отчёты командной строки (report figures, report kpi). Администратор может
# переопределить любое сообщение в своём templates_dir/ru/cli.ftl.
