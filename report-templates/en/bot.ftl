# The bot's replies. An admin may override any message in their own
# templates_dir/en/bot.ftl.
