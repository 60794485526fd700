"""The documents room: files the service reads and writes for people (the 执行台账 workbook),
used by the HTTP routes, the console and the CLI alike."""
