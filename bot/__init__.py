"""A Discord bot that recommends similar artists, and its offline console.

Layout: ``answers`` (the command logic as plain functions) and ``render`` / ``markup`` (pure
rendering to a neutral message within Discord's limits) are shared by ``console`` (text) and
the Discord side: ``embeds`` (messages to embeds), ``commands`` (slash commands, buttons),
``errors`` (the error hook, cooldowns), ``reload`` (hot model reload), ``sync`` (command
registration), ``client`` (start-up) and ``config`` (settings). Only the recommender's facade
is used; the bot never reads dataset files.
"""
