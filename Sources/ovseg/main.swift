print("ovseg")
