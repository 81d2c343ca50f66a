"""Names a data source could hold, each trying to become something other than text."""

HOSTILE = [
    "[click me](http://evil.example)",
    "![](http://evil.example/pixel.png)",
    "see http://evil.example/x and www.evil.example or mail a@evil.example",
    '<a href="http://evil.example">html</a> <b>bold</b> <img src=x onerror=alert(1)>',
    "**bold** _it_ `code` ~~gone~~ $x^2$ :red[red] :material/home: # head",
    "monitor\u202e gnp.exe",
    "1. not a list | not | a table",
]
